// What bench/core.mjs and bench/cluster.mjs (and, for its flags and memcached, bench/express.mjs)
// share: the command line, memcached started and stopped through the test suite's server library,
// the measuring loop, and the formatting of its figures. Plain ESM: node runs it with no build step.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { findMemcached, startMemcached } from '../test/support/servers/index.mjs';

export { startMemcached, stopAllMemcached } from '../test/support/servers/index.mjs';

export const log = (...args) => console.error(...args);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `--name` and `--name=value` flags. `--help` prints `usage` and exits 0; a flag not in `known` (names
 * without the dashes) prints it to stderr and exits 2, so a typo never starts a long run with defaults.
 */
export function parseFlags(usage, known, argv = process.argv.slice(2)) {
  const given = new Map();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match?.[1] === 'help' || arg === '-h') {
      process.stdout.write(usage);
      process.exit(0);
    }
    if (match === null || !known.includes(match[1])) {
      process.stderr.write(`unknown argument: ${arg}\n\n${usage}`);
      process.exit(2);
    }
    given.set(match[1], match[2] ?? true);
  }
  return {
    flag: (name) => given.get(name) === true,
    opt: (name) => {
      const value = given.get(name);
      return typeof value === 'string' ? value : undefined;
    },
  };
}

/** The flags core.mjs and cluster.mjs both take: --quick, --json, --duration=S, --warmup=S. */
export function timingFlags(flags) {
  const quick = flags.flag('quick');
  return {
    quick,
    json: flags.flag('json'),
    durationMs: Number(flags.opt('duration') ?? (quick ? 0.5 : 3)) * 1000,
    warmupMs: Number(flags.opt('warmup') ?? 0.5) * 1000,
  };
}

/**
 * Ends the run on SIGINT/SIGTERM with a line saying so; the server library's exit hook then ends
 * every memcached by pid.
 */
export function exitOnSignal() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      log(`\n${sig}: stopping memcached and exiting`);
      process.exit(130);
    });
  }
}

/** `memcached -V` of the binary the library starts, or 'unknown'. */
export function memcachedVersion() {
  try {
    return execFileSync(findMemcached() ?? 'memcached', ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Date, Node, CPU and memcached of this run, for the report's header. */
export function runMeta(timing, extra = {}) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memcached: memcachedVersion(),
    durationMs: timing.durationMs,
    warmupMs: timing.warmupMs,
    ...extra,
  };
}

/** Starts `count` memcached servers, one after another, each with `options`. */
export async function startServers(count, options) {
  const servers = [];
  for (let i = 0; i < count; i++) servers.push(await startMemcached(options));
  return servers;
}

/** A fixed printable ASCII value, so every client stores and returns the same bytes as a string. */
export const printableValue = (size) =>
  Array.from({ length: size }, (_, i) => String.fromCharCode(33 + ((i * 7) % 94))).join('');

const DRAIN_TIMEOUT_MS = 10_000;

/**
 * `concurrency` async workers, each awaiting `op(i)` in a loop: after `warmupMs`, counts the
 * operations completed during `durationMs`; in-flight ones are drained afterwards and not counted.
 * The first error stops the cell and is its result. `cpu` (see cpuMeter) is read at the start and end
 * of the counted window, and the cell then says how much CPU the client and the servers used per op.
 */
export async function measure(op, concurrency, { warmupMs, durationMs }, cpu = undefined) {
  let counter = 0;
  let completed = 0;
  let stop = false;
  let error = null;
  const worker = async () => {
    while (!stop) {
      try {
        await op(counter++);
      } catch (err) {
        error ??= err;
        stop = true;
        return;
      }
      completed++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await sleep(warmupMs);
  const c0 = completed;
  const cpu0 = cpu?.read();
  const t0 = performance.now();
  await sleep(durationMs);
  const c1 = completed;
  const t1 = performance.now();
  const cpu1 = cpu?.read();
  stop = true;
  let drainTimer;
  const drained = await Promise.race([
    Promise.all(workers).then(() => true),
    new Promise((r) => {
      drainTimer = setTimeout(() => r(false), DRAIN_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(drainTimer);
  if (error) return { error: String(error?.message ?? error) };
  if (!drained) return { error: `in-flight ops did not complete within ${DRAIN_TIMEOUT_MS} ms` };
  const result = { opsPerSec: ((c1 - c0) * 1000) / (t1 - t0) };
  if (cpu0 !== undefined) result.cpu = cpuPerOp(cpu0, cpu1, c1 - c0, t1 - t0);
  return result;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Reads the CPU time used so far by this process (the client) and by the server processes `pids`
 * (from /proc, user + system), in µs. Where a client waits on servers that share its cores, this says
 * whose CPU an operation costs, which a throughput figure alone cannot.
 */
export function cpuMeter(pids) {
  const serverMicros = (pid) => {
    try {
      // Fields after the command name (which may hold spaces, so split after its closing paren).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
    } catch {
      return Number.NaN;
    }
  };
  return {
    read: () => {
      const own = process.cpuUsage();
      return { client: own.user + own.system, servers: pids.map(serverMicros) };
    },
  };
}

function cpuPerOp(before, after, ops, ms) {
  const client = after.client - before.client;
  const servers = after.servers.reduce((sum, micros, i) => sum + micros - before.servers[i], 0);
  return {
    /** Percent of one core over the window. */
    clientPct: (client / (ms * 1000)) * 100,
    serversPct: (servers / (ms * 1000)) * 100,
    clientUsPerOp: client / ops,
    serversUsPerOp: servers / ops,
  };
}

/** A callback API as a promise: the callback comes last and is `(err, result)`. */
export const promisify =
  (fn) =>
  (...args) =>
    new Promise((resolve, reject) => fn(...args, (err, res) => (err ? reject(err) : resolve(res))));

/** Hits in a getMany result, whether the client returns a Map or an object. */
export const hitCount = (res) => (res instanceof Map ? res.size : res ? Object.keys(res).length : 0);

export const fmtOps = (n) => Math.round(n).toLocaleString('en-US');
export const fmtCell = (cell) =>
  cell === undefined ? '—' : cell.error ? `error: ${cell.error}` : fmtOps(cell.opsPerSec);
