// The demo's live line of hits and misses. It listens to the HTTP server's own `request` event, so it
// sees every response the app sends, with the X-Cache that @memwire/express put on it, without any
// change to the app. On a terminal one line is redrawn in place; otherwise (a pipe, CI) each response
// gets a plain line of its own.

const STATUSES = ['HIT', 'STALE', 'MISS', 'BYPASS'];
/** SGR colours: green for answers from memcached, yellow for work done by the app. */
const COLOURS = { HIT: '32', STALE: '36', MISS: '33', BYPASS: '2' };

/**
 * Starts counting the X-Cache of `server`'s responses. Returns `{ counts, pause(), summary() }`: `counts`
 * per status (and `requests`, every response), `pause()` clears the live line before other output,
 * `summary()` is the tally as text.
 */
export function watchCacheStatus(server, { stream = process.stdout, live = Boolean(stream.isTTY) } = {}) {
  const counts = { requests: 0, ...Object.fromEntries(STATUSES.map((status) => [status, 0])) };
  /** The latest response: `{ method, url, status, cache, ms }`. */
  let last;
  const colour =
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: npm runs the demo, not turbo
    stream.isTTY && !process.env.NO_COLOR
      ? (status, text) => `\x1b[${COLOURS[status] ?? '0'}m${text}\x1b[0m`
      : (_, text) => text;
  let drawn = false;

  const summary = (paint = (_, text) => text) => {
    const lookups = counts.HIT + counts.STALE + counts.MISS;
    const ratio = lookups === 0 ? '–' : `${Math.round(((counts.HIT + counts.STALE) / lookups) * 100)}%`;
    const tally = STATUSES.filter((status) => status !== 'STALE' || counts.STALE > 0).map((status) =>
      paint(status, `${status} ${counts[status]}`),
    );
    return `${tally.join(' · ')} · hit ratio ${ratio}`;
  };

  const describe = ({ method, url, cache, status, ms }) =>
    `${method} ${url} → ${cache ?? status} ${ms.toFixed(0)} ms`;

  const draw = () => {
    const head = `${summary(colour)} · ${counts.requests} requests`;
    const tail = last === undefined ? '' : ` · last: ${describe(last)}`;
    // A line longer than the terminal wraps, and `\r` would then redraw only its last row.
    const room = (stream.columns ?? 120) - 1 - visibleLength(head);
    stream.write(`\r\x1b[2K${head}${room > 1 ? truncate(tail, room) : ''}`);
    drawn = true;
  };

  // First in line, so the URL is read before Express rewrites req.url for a mounted router
  // (/cache/greeting is /greeting inside cacheRouter).
  server.prependListener('request', (req, res) => {
    const started = performance.now();
    const { method, url } = req;
    res.once('finish', () => {
      const header = res.getHeader('x-cache');
      const cache = typeof header === 'string' && STATUSES.includes(header) ? header : undefined;
      if (cache !== undefined) counts[cache] += 1;
      counts.requests += 1;
      last = { method, url, status: res.statusCode, cache, ms: performance.now() - started };
      if (live) draw();
      else stream.write(`${describe(last)} · ${summary()}\n`);
    });
  });

  if (live) draw();

  return {
    counts,
    summary: () => summary(),
    pause() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

function visibleLength(text) {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function truncate(text, width) {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
