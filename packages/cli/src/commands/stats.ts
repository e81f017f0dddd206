import { type Client, type StatsSummary, summarizeStats } from '@memwire/core';
import { clientPerServer, closeAll, parseWhole } from '../config.js';
import { type CommandContext, loadConfig } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { describeError, formatBytes, formatDuration, formatRatio, type Output } from '../output.js';

export interface StatsOptions {
  watch?: boolean | undefined;
  /** Seconds between refreshes under `--watch`. */
  interval: string;
}

type ServerStats =
  | { server: string; ok: true; summary: StatsSummary; stats: Record<string, string> }
  | { server: string; ok: false; error: { code: string; message: string } };

/**
 * `memwire stats [group] [--watch]`: without a group, one row per server with the figures that say
 * whether the cache works (hit ratio, items, evictions, connections, memory); with a group
 * (`slabs`, `items`, `settings`, …), that group's raw counters, a table per server. Each server is
 * asked on its own connection, so a dead one shows as an error row and the others still report.
 */
export async function statsCommand(
  ctx: CommandContext,
  group: string | undefined,
  options: StatsOptions,
): Promise<number> {
  const interval = parseWhole(options.interval, '--interval', 1);
  const clients = clientPerServer(loadConfig(ctx));
  try {
    if (options.watch !== true) {
      const results = await collect(clients, group);
      ctx.output.result(toJson(results, group), () => render(ctx.output, results, group));
      return results.every((result) => result.ok) ? ExitCode.OK : ExitCode.FAILURE;
    }
    await watch(ctx, clients, group, interval);
    return ExitCode.OK;
  } finally {
    await closeAll(clients.values());
  }
}

/**
 * Redraws every `interval` seconds until Ctrl-C (SIGINT), SIGTERM or the reader of stdout going away
 * (`| head -1`), which end it with status 0.
 */
async function watch(
  ctx: CommandContext,
  clients: Map<string, Client>,
  group: string | undefined,
  interval: number,
): Promise<void> {
  const { output } = ctx;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  output.stdoutClosed.addEventListener('abort', onSignal, { once: true });
  try {
    while (!stop.signal.aborted) {
      const results = await collect(clients, group);
      if (stop.signal.aborted) break;
      const time = new Date();
      output.frame({ time: time.toISOString(), ...toJson(results, group) }, () => {
        const title = `memwire stats${group === undefined ? '' : ` ${group}`} · ${time.toLocaleTimeString()} · every ${interval} s · Ctrl-C to stop`;
        return `${output.c.bold(title)}\n${render(output, results, group)}`;
      });
      await sleep(interval * 1000, stop.signal);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    output.stdoutClosed.removeEventListener('abort', onSignal);
  }
}

async function collect(clients: Map<string, Client>, group: string | undefined): Promise<ServerStats[]> {
  return Promise.all(
    [...clients].map(async ([server, client]): Promise<ServerStats> => {
      try {
        const stats = (await client.stats(group)).get(server) ?? {};
        return { server, ok: true, summary: summarizeStats(stats), stats };
      } catch (error) {
        const { code, message } = describeError(error);
        return { server, ok: false, error: { code, message } };
      }
    }),
  );
}

function toJson(results: ServerStats[], group: string | undefined): Record<string, unknown> {
  const servers = results.map((result) => {
    if (!result.ok) return result;
    if (group !== undefined) return { server: result.server, ok: true, stats: result.stats };
    return { server: result.server, ok: true, ...result.summary };
  });
  return group === undefined ? { servers } : { group, servers };
}

function render(output: Output, results: ServerStats[], group: string | undefined): string {
  const { c } = output;
  if (group !== undefined) {
    return results
      .map((result) => {
        const title = c.bold(result.server);
        if (!result.ok) return `${title}\n${c.red(`${result.error.code} ${result.error.message}`)}`;
        const rows = Object.entries(result.stats).map(([name, value]) => [name, value]);
        return `${title}\n${output.table(['stat', 'value'], rows, ['left', 'right'])}`;
      })
      .join('\n');
  }
  const head = COLUMNS.map(([title]) => title);
  const rows = results.map((result) => {
    if (!result.ok) {
      const error = c.red(`${result.error.code} ${result.error.message}`);
      return [result.server, { colSpan: head.length - 1, content: error }];
    }
    const s = result.summary;
    return [
      result.server,
      s.version ?? '?',
      formatDuration(s.uptimeSeconds),
      formatRatio(s.hitRatio),
      String(s.hits),
      String(s.misses),
      String(s.items),
      s.evictions > 0 ? c.yellow(String(s.evictions)) : String(s.evictions),
      String(s.connections),
      `${formatBytes(s.bytes)} / ${formatBytes(s.limitBytes)}`,
    ];
  });
  return output.table(
    head,
    rows,
    COLUMNS.map(([, align]) => align),
  );
}

/** The summary table's columns: text to the left, figures to the right. */
const COLUMNS: readonly [string, 'left' | 'right'][] = [
  ['server', 'left'],
  ['version', 'left'],
  ['uptime', 'right'],
  ['hit ratio', 'right'],
  ['hits', 'right'],
  ['misses', 'right'],
  ['items', 'right'],
  ['evictions', 'right'],
  ['conns', 'right'],
  ['memory', 'right'],
];

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
