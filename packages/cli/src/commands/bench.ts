import { performance } from 'node:perf_hooks';
import type { Client } from '@memwire/core';
import { SingleBar } from 'cli-progress';
import { parseWhole } from '../config.js';
import { type CommandContext, withClient } from '../context.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { describeError, formatMs, type Output } from '../output.js';

export interface BenchOptions {
  ops: string;
  /** Seconds after which the run stops even if `ops` were not all done. */
  duration: string;
  concurrency: string;
  size: string;
  keys: string;
  /** Percentage of operations that are sets; the rest are gets. */
  writes: string;
}

interface Settings {
  ops: number;
  durationSeconds: number;
  concurrency: number;
  size: number;
  keys: number;
  writes: number;
}

/** Latency percentiles in ms. */
export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** What `memwire bench --json` prints. */
export interface BenchResult {
  /** Operations done: `--ops`, or fewer when `--duration` ran out first. */
  ops: number;
  errors: number;
  durationMs: number;
  opsPerSecond: number;
  latencyMs: Latency;
  get: { ops: number; hits: number; latencyMs: Latency | null };
  set: { ops: number; latencyMs: Latency | null };
  settings: Settings;
  servers: string[];
}

/** Keys of the bench live under this prefix and are deleted at the end. */
const KEY_PREFIX = 'memwire:bench:';

/**
 * `memwire bench`: a short load test. Writes `keys` values of `size` bytes, then runs `ops` gets and
 * sets (`writes` percent sets) over `concurrency` concurrent callers, timing each, for at most
 * `duration` seconds; deletes its keys at the end. The progress bar goes to stderr on a terminal only.
 */
export async function benchCommand(ctx: CommandContext, options: BenchOptions): Promise<number> {
  const settings = parseSettings(options);
  const { output } = ctx;
  const { result, firstError } = await withClient(ctx, async (client) => {
    const keys = Array.from({ length: settings.keys }, (_, i) => `${KEY_PREFIX}${i}`);
    const value = 'x'.repeat(settings.size);
    await prefill(client, keys, value);
    try {
      return await run(client, keys, value, settings, output);
    } finally {
      await client.deleteMany(keys).catch(() => undefined);
    }
  });
  output.result(result, () => render(output, result));
  if (firstError !== undefined) {
    output.warn(`${result.errors} operations failed; the first: ${describeError(firstError).message}`);
    return ExitCode.FAILURE;
  }
  return ExitCode.OK;
}

function parseSettings(options: BenchOptions): Settings {
  const settings = {
    ops: parseWhole(options.ops, '--ops', 1),
    durationSeconds: parseWhole(options.duration, '--duration', 1),
    concurrency: parseWhole(options.concurrency, '--concurrency', 1),
    size: parseWhole(options.size, '--size', 1),
    keys: parseWhole(options.keys, '--keys', 1),
    writes: parseWhole(options.writes, '--writes', 0),
  };
  if (settings.writes > 100)
    throw new UsageError(`--writes is a percentage from 0 to 100, got ${settings.writes}`);
  return settings;
}

/** Writes every key first, so gets measure hits; a failure here (server down) fails the bench. */
async function prefill(client: Client, keys: string[], value: string): Promise<void> {
  const outcomes = await client.setMany(keys.map((key) => [key, value] as const));
  for (const outcome of outcomes.values()) if (!outcome.ok) throw outcome.error;
}

async function run(
  client: Client,
  keys: string[],
  value: string,
  settings: Settings,
  output: Output,
): Promise<{ result: BenchResult; firstError: unknown }> {
  const getTimes: number[] = [];
  const setTimes: number[] = [];
  let hits = 0;
  let errors = 0;
  let firstError: unknown;
  let issued = 0;
  let done = 0;
  const bar = progressBar(output, settings.ops);
  // A fixed pattern rather than random choices: every run does the same mix, so runs compare.
  const isWrite = (i: number) => (i * settings.writes) % 100 < settings.writes;
  const deadline = performance.now() + settings.durationSeconds * 1000;
  const worker = async () => {
    while (issued < settings.ops && performance.now() < deadline) {
      const i = issued++;
      const key = keys[(i * 7919) % keys.length]!;
      const write = isWrite(i);
      const started = performance.now();
      try {
        if (write) await client.set(key, value);
        else if ((await client.get(key)) !== undefined) hits++;
        (write ? setTimes : getTimes).push(performance.now() - started);
      } catch (error) {
        errors++;
        firstError ??= error;
      }
      done++;
      bar?.update(done);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, settings.ops) }, worker));
  const durationMs = performance.now() - started;
  bar?.stop();
  const all = [...getTimes, ...setTimes];
  const result: BenchResult = {
    ops: done,
    errors,
    durationMs: round(durationMs),
    opsPerSecond: Math.round((all.length / durationMs) * 1000),
    latencyMs: percentiles(all) ?? { p50: 0, p99: 0, max: 0 },
    get: { ops: getTimes.length, hits, latencyMs: percentiles(getTimes) },
    set: { ops: setTimes.length, latencyMs: percentiles(setTimes) },
    settings,
    servers: [...client.servers],
  };
  return { result, firstError };
}

/** A bar on stderr, only where a person watches: a terminal, and never under `--json`. */
function progressBar(output: Output, total: number): SingleBar | undefined {
  const stderr = output.streams.stderr;
  if (output.json || stderr.isTTY !== true) return undefined;
  const bar = new SingleBar({
    stream: stderr,
    format: 'bench [{bar}] {percentage}% · {value}/{total} ops · {eta}s left',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  return bar;
}

function percentiles(times: number[]): Latency | null {
  if (times.length === 0) return null;
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: round(at(50)), p99: round(at(99)), max: round(sorted[sorted.length - 1]!) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function render(output: Output, result: BenchResult): string {
  const { c } = output;
  const line = (name: string, ops: number, latency: Latency | null) => [
    name,
    String(ops),
    latency === null ? '–' : formatMs(latency.p50),
    latency === null ? '–' : formatMs(latency.p99),
    latency === null ? '–' : formatMs(latency.max),
  ];
  const table = output.table(
    ['', 'ops', 'p50', 'p99', 'max'],
    [
      line('get', result.get.ops, result.get.latencyMs),
      line('set', result.set.ops, result.set.latencyMs),
      line('all', result.get.ops + result.set.ops, result.latencyMs),
    ],
    ['left', 'right', 'right', 'right', 'right'],
  );
  const { settings } = result;
  return [
    `${c.bold(`${result.opsPerSecond.toLocaleString('en-US')} ops/s`)} · ${result.ops} ops in ${(result.durationMs / 1000).toFixed(2)} s · ${settings.concurrency} concurrent · ${settings.size}-byte values · ${settings.writes}% sets · ${result.servers.join(', ')}`,
    table,
    result.errors > 0 ? c.red(`${result.errors} errors`) : `${result.get.hits} of ${result.get.ops} gets hit`,
  ].join('\n');
}
