// Rate-limit increments per second at concurrency 50: @memwire/rate-limit's express-rate-limit store
// against rate-limit-memcached 1 (node `memcached`), the same store interface, against one memcached of
// their own. It asserts nothing; see bench/README.md ("Rate limits") for the figures.
//
// Usage: USAGE below (`node bench/rate-limit.mjs --help`); build first (`npm run build`).
//
// Each store counts hits on 1,000 keys in turn (as a limiter counts many clients), and then on one hot
// key (one client hammering). The stores are measured in rounds, alternating, and each cell's median
// round is reported, so a drift in the machine's load hits both alike.
import { createRequire } from 'node:module';
import {
  exitOnSignal,
  fmtCell,
  log,
  measure,
  parseFlags,
  runMeta,
  startMemcached,
  stopAllMemcached,
  timingFlags,
} from './lib.mjs';

const USAGE = `usage: node bench/rate-limit.mjs [options]

  (no options)        three rounds of 3 s per cell (0.5 s warm-up), concurrency 50
  --quick             one round of 0.5 s per cell
  --json              results as JSON on stdout (progress on stderr)
  --duration=S --warmup=S --rounds=N --concurrency=N
  --help              this text

  MEMCACHED_BIN=/path/memcached   the memcached to start
`;

const flags = parseFlags(USAGE, ['quick', 'json', 'duration', 'warmup', 'rounds', 'concurrency']);
const timing = timingFlags(flags);
const rounds = Number(flags.opt('rounds') ?? (timing.quick ? 1 : 3));
const concurrency = Number(flags.opt('concurrency') ?? 50);
const WINDOW_MS = 60 * 60 * 1000; // an hour: no window ends during a run
const KEYS = 1000;

exitOnSignal();

/** Each store as express-rate-limit drives it: `init` with the limiter's options, then `increment(key)`. */
async function stores(address) {
  const { MemwireRateLimitStore } = await import('@memwire/rate-limit');
  const require = createRequire(import.meta.url);
  const { MemcachedStore } = require('rate-limit-memcached');
  const memwire = new MemwireRateLimitStore({ env: {}, servers: address, prefix: `bench-mw-${Date.now()}:` });
  const peer = new MemcachedStore({ locations: [address], prefix: `bench-rlm-${Date.now()}:` });
  for (const store of [memwire, peer]) store.init({ windowMs: WINDOW_MS, limit: Number.MAX_SAFE_INTEGER });
  return [
    { name: '@memwire/rate-limit', store: memwire, close: () => memwire.shutdown() },
    { name: 'rate-limit-memcached 1 (memcached 2)', store: peer, close: () => peer.client.end() },
  ];
}

async function main() {
  const server = await startMemcached();
  const entries = await stores(server.address);
  const cells = [
    { name: `${KEYS.toLocaleString('en-US')} keys`, key: (i) => `client-${i % KEYS}` },
    { name: 'one hot key', key: () => 'hot' },
  ];
  const results = new Map(); // `${entry}|${cell}` → opsPerSec per round
  for (let round = 1; round <= rounds; round++) {
    for (const cell of cells) {
      for (const entry of round % 2 === 1 ? entries : [...entries].reverse()) {
        const result = await measure((i) => entry.store.increment(cell.key(i)), concurrency, timing);
        log(`round ${round} ${entry.name} ${cell.name}: ${fmtCell(result)}`);
        const id = `${entry.name}|${cell.name}`;
        results.set(id, [...(results.get(id) ?? []), result]);
      }
    }
  }
  for (const entry of entries) await entry.close();
  await stopAllMemcached();

  const median = (list) => {
    if (list.some((r) => r.error)) return list.find((r) => r.error);
    const sorted = list.map((r) => r.opsPerSec).sort((a, b) => a - b);
    return { opsPerSec: sorted[Math.floor(sorted.length / 2)] };
  };
  const table = entries.map((entry) => ({
    store: entry.name,
    ...Object.fromEntries(
      cells.map((cell) => [cell.name, median(results.get(`${entry.name}|${cell.name}`))]),
    ),
  }));
  const meta = runMeta(timing, { rounds, concurrency });
  if (timing.json) {
    process.stdout.write(`${JSON.stringify({ meta, table }, null, 2)}\n`);
    return;
  }
  const ratio = (cell) => {
    const [ours, theirs] = table.map((row) => row[cell.name]);
    return ours?.opsPerSec && theirs?.opsPerSec ? `${(ours.opsPerSec / theirs.opsPerSec).toFixed(2)}×` : '—';
  };
  const lines = [
    `${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores} · ${meta.memcached}`,
    `increments/s at c=${concurrency}, median of ${rounds} round(s) of ${timing.durationMs / 1000} s`,
    '',
    `| store | ${cells.map((cell) => cell.name).join(' | ')} |`,
    `| --- | ${cells.map(() => '---:').join(' | ')} |`,
    ...table.map((row) => `| ${row.store} | ${cells.map((cell) => fmtCell(row[cell.name])).join(' | ')} |`),
    `| **memwire / rate-limit-memcached** | ${cells.map(ratio).join(' | ')} |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
