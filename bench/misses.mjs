// What the hot-key-miss benches (bench/wrap.mjs, bench/http-lease.mjs) share: counting the commands
// the clients write and the ones memcached saw, running two paths' rounds in alternation, and the
// latency summary. Plain ESM: node runs it with no build step.
import { tracingChannel } from 'node:diagnostics_channel';
import { log } from './lib.mjs';

/** memcached's counters that each count a command of the kinds a cache sends. */
export const COMMAND_STATS = [
  'cmd_get',
  'cmd_set',
  'cmd_touch',
  'delete_hits',
  'delete_misses',
  'incr_hits',
  'incr_misses',
];

/**
 * Counts the commands every memwire client in this process writes, by name; not a meta command
 * refused by a classic client (`ERR_MEMWIRE_UNSUPPORTED`), which writes nothing.
 */
export function commandCounter() {
  const counts = new Map();
  const ignore = () => {};
  tracingChannel('memwire:command').subscribe({
    start: ignore,
    end: ignore,
    asyncStart: ignore,
    asyncEnd: (trace) => {
      if (trace.error?.code === 'ERR_MEMWIRE_UNSUPPORTED') return;
      counts.set(trace.command, (counts.get(trace.command) ?? 0) + 1);
    },
    error: ignore,
  });
  return {
    take() {
      const taken = Object.fromEntries(counts);
      counts.clear();
      return taken;
    },
  };
}

/** memcached's COMMAND_STATS now, through `admin` (one server). */
export async function serverCounts(admin) {
  const [stats] = [...(await admin.stats()).values()];
  return Object.fromEntries(COMMAND_STATS.map((name) => [name, Number(stats[name] ?? 0)]));
}

/** memcached's COMMAND_STATS since `before` (a serverCounts answer). */
export async function serverDelta(admin, before) {
  const after = await serverCounts(admin);
  return Object.fromEntries(COMMAND_STATS.map((name) => [name, after[name] - before[name]]));
}

/**
 * `rounds` rounds of every path, alternating which goes first so neither always follows the
 * other's leftovers; `runOne(path, i)` gives one round's result. A Map of path name → results.
 */
export async function alternatingRounds(paths, rounds, runOne) {
  const results = new Map(paths.map((path) => [path.name, []]));
  for (let i = 0; i < rounds; i++) {
    for (const path of i % 2 === 0 ? paths : [...paths].reverse()) {
      results.get(path.name).push(await runOne(path, i));
    }
    log(`round ${i + 1}/${rounds}`);
  }
  return results;
}

/** p50, p90, p99 and max of the latencies of every round. */
export function latencySummary(results) {
  const sorted = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted[sorted.length - 1] };
}

/** The mean over `results` of `pick`, and of each name of the objects `pick` gives. */
export function meanOf(results, pick) {
  return results.reduce((total, r) => total + pick(r), 0) / results.length;
}

/** Per name, the mean over `results` of the objects `pick` gives (a name a round lacks counts 0). */
export function meansByName(results, pick) {
  const names = [...new Set(results.flatMap((r) => Object.keys(pick(r))))].sort();
  return Object.fromEntries(names.map((name) => [name, meanOf(results, (r) => pick(r)[name] ?? 0)]));
}
