#!/usr/bin/env node
// memwire load benchmark: what a command costs the client's CPU, and the latency each client gives at
// a fixed offered load, for every client of bench/core.mjs. Usage: USAGE below; bench/README.md says
// what is measured. A benchmark, not a test: it asserts nothing. It starts its own memcached and ends
// it by pid however the run ends.
import { readFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ADAPTERS } from './clients.mjs';
import { exitOnSignal, log, parseFlags, printableValue, runMeta, startMemcached } from './lib.mjs';

const USAGE = `usage: node bench/load.mjs [options]

  --ops=N                  operations per CPU cell (default 50000; --quick 10000; getMany cells: N/20 calls)
  --concurrency=N          operations in flight in the CPU cells (default 50)
  --rate=R                 offered load of the latency cells, operations per second (default 20000)
  --duration=S             seconds of each latency cell (default 3; --quick 1)
  --clients=memwire,...    only these clients (raw, raw-batched, memwire, memjs, memcached, memcache-client)
  --quick                  short cells
  --json                   the results as JSON on stdout (progress goes to stderr)
  --help                   this text
`;
const flags = parseFlags(USAGE, ['ops', 'concurrency', 'rate', 'duration', 'clients', 'quick', 'json']);
const quick = flags.flag('quick');
const OPS = Number(flags.opt('ops') ?? (quick ? 10_000 : 50_000));
const CONCURRENCY = Number(flags.opt('concurrency') ?? 50);
const RATE = Number(flags.opt('rate') ?? 20_000);
const DURATION_MS = Number(flags.opt('duration') ?? (quick ? 1 : 3)) * 1000;
const ONLY = flags.opt('clients')?.split(',').filter(Boolean);
const CLIENTS = ['raw', 'memwire', 'memjs', 'memcached', 'memcache-client'].filter(
  (name) => ONLY === undefined || ONLY.includes(name),
);
const KEYSPACE = 1000;
const VALUE = printableValue(100);
const keyOf = (i) => `load:${i % KEYSPACE}`;
// Ten sets of 100 distinct keys, taken in turn, as bench/core.mjs does: calls in flight at once ask
// mostly different keys (a client that merges a key asked twice in one tick must not win by it).
const MANY_KEYSETS = Array.from({ length: 10 }, (_, s) =>
  Array.from({ length: 100 }, (_, j) => keyOf(s * 100 + j)),
);

v8.setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? vm.runInNewContext('gc');
exitOnSignal();

/**
 * Client CPU per operation: `OPS` operations, `CONCURRENCY` in flight, user + system CPU time of this
 * process (memcached is another process, so only the client's work counts) divided by the count.
 */
async function cpuPerOp(op, ops = OPS, concurrency = CONCURRENCY, warmup = 0) {
  for (let i = 0; i < warmup; i += concurrency)
    await Promise.all(Array.from({ length: concurrency }, (_, j) => op(i + j)));
  gc();
  let next = 0;
  const writes = writeCalls();
  const usage = process.cpuUsage();
  const began = performance.now();
  const worker = async () => {
    while (next < ops) await op(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const spent = process.cpuUsage(usage);
  const seconds = (performance.now() - began) / 1000;
  const written = writeCalls() - writes;
  return {
    microsPerOp: (spent.user + spent.system) / ops,
    opsPerSecond: ops / seconds,
    // Commands per write system call: on loopback a write also runs the server's receive path, so
    // how many commands share one is most of a client's CPU per command (NaN off Linux).
    opsPerWrite: ops / written,
  };
}

/** This process's write system calls so far (Linux's /proc/self/io), NaN where there is none. */
function writeCalls() {
  try {
    return Number(/^syscw: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/**
 * Latency at a fixed offered load (open loop): operations are started on a schedule of `RATE` per second,
 * in 1 ms slots, whether or not earlier ones have finished, so a slow client queues work as a real
 * server's callers would. Each latency runs from the call to its settlement; `behindMs` is how late the
 * schedule ran at worst (a client that blocks the event loop makes it late, and that shows here).
 */
async function openLoop(op) {
  gc();
  const total = Math.round((RATE * DURATION_MS) / 1000);
  const latencies = new Float64Array(total);
  let issued = 0;
  let settled = 0;
  let errors = 0;
  let behindMs = 0;
  // The garbage collector's pauses in this cell: a tail from GC shows here, one from elsewhere not.
  const pauses = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * RATE) / 1000) + 1);
      if (due > issued) behindMs = Math.max(behindMs, now - (start + (issued * 1000) / RATE));
      for (; issued < due; issued++) {
        const i = issued;
        const called = performance.now();
        op(i)
          .then(
            () => {
              latencies[i] = performance.now() - called;
            },
            () => {
              latencies[i] = Number.NaN;
              errors++;
            },
          )
          .finally(() => {
            if (++settled === total) resolve();
          });
      }
      if (issued < total) setTimeout(tick, 1);
    };
    tick();
  });
  observer.disconnect();
  const gcMs = { total: pauses.reduce((sum, ms) => sum + ms, 0), max: Math.max(0, ...pauses) };
  const sorted = Float64Array.from(latencies.filter((value) => !Number.isNaN(value))).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: sorted.at(-1), behindMs, gcMs, errors };
}

async function runClient(name, port) {
  const adapter = ADAPTERS[name];
  const client = await adapter.create(port);
  if (client.skip) return { client: name, label: adapter.label, skipped: client.skip };
  const result = { client: name, label: adapter.label };
  try {
    for (let i = 0; i < KEYSPACE; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => client.set(keyOf(i + j), VALUE)));
    result.cpu = {
      get: await cpuPerOp((i) => client.get(keyOf(i))),
      set: await cpuPerOp((i) => client.set(keyOf(i), VALUE)),
      // getMany of 100 keys: a twentieth as many calls, alone (c=1) and CONCURRENCY at once, each cell
      // after a tenth of its calls untimed (its code is not warm yet, unlike get's and set's).
      getMany1: await cpuPerOp((i) => client.getMany(MANY_KEYSETS[i % 10]), OPS / 20, 1, OPS / 200),
      getMany: await cpuPerOp((i) => client.getMany(MANY_KEYSETS[i % 10]), OPS / 20, CONCURRENCY, OPS / 200),
    };
    const { get, set, getMany1, getMany } = result.cpu;
    log(
      `  ${name} CPU µs/op: get ${get.microsPerOp.toFixed(2)}, set ${set.microsPerOp.toFixed(2)}; ` +
        `µs/getMany(100) c=1 ${getMany1.microsPerOp.toFixed(1)}, c=${CONCURRENCY} ${getMany.microsPerOp.toFixed(1)}`,
    );
    result.latency = {
      get: await openLoop((i) => client.get(keyOf(i))),
      set: await openLoop((i) => client.set(keyOf(i), VALUE)),
    };
    const show = (l) => `p50 ${l.p50.toFixed(3)} p99 ${l.p99.toFixed(3)} p99.9 ${l.p999.toFixed(3)} ms`;
    log(`  ${name} at ${RATE}/s: get ${show(result.latency.get)}; set ${show(result.latency.set)}`);
  } catch (error) {
    result.error = String(error?.message ?? error);
  } finally {
    await client.close();
  }
  return result;
}

function markdown(meta, results) {
  const ms = (value) => (Number.isFinite(value) ? value.toFixed(3) : '—');
  const gc = ({ total, max }) => `${total.toFixed(1)} (${max.toFixed(2)})`;
  const lines = [
    `- date: ${meta.date}; node ${meta.node}; ${meta.cpu} (${meta.cores} cores); ${meta.memcached}`,
    `- CPU cells: ${OPS} operations at concurrency ${CONCURRENCY}; latency cells: ${RATE} ops/s offered for ${DURATION_MS / 1000} s`,
    '',
    '| client | CPU µs/op get | CPU µs/op set | commands per write (get / set) | CPU µs per getMany(100), c=1 / c=' +
      `${CONCURRENCY} | get p50 / p99 / p99.9 ms | set p50 / p99 / p99.9 ms | schedule behind (ms, get / set) | ` +
      'GC pauses, total (longest) ms, get / set |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    if (r.skipped || r.error) {
      lines.push(`| ${r.label} | ${r.skipped ?? r.error} | | | | | | | |`);
      continue;
    }
    const { get, set } = r.latency;
    const { cpu } = r;
    lines.push(
      `| ${r.label} | ${cpu.get.microsPerOp.toFixed(2)} | ${cpu.set.microsPerOp.toFixed(2)} | ` +
        `${cpu.get.opsPerWrite.toFixed(1)} / ${cpu.set.opsPerWrite.toFixed(1)} | ` +
        `${cpu.getMany1.microsPerOp.toFixed(1)} / ${cpu.getMany.microsPerOp.toFixed(1)} | ` +
        `${ms(get.p50)} / ${ms(get.p99)} / ${ms(get.p999)} | ${ms(set.p50)} / ${ms(set.p99)} / ${ms(set.p999)} | ` +
        `${ms(get.behindMs)} / ${ms(set.behindMs)} | ${gc(get.gcMs)} / ${gc(set.gcMs)} |`,
    );
  }
  return lines.join('\n');
}

const server = await startMemcached({ memoryMb: 256, threads: 2 });
log(`memcached pid ${server.pid} on ${server.address}`);
const meta = runMeta({ durationMs: DURATION_MS, warmupMs: 0 });
const results = [];
try {
  for (const name of CLIENTS) results.push(await runClient(name, server.port));
} finally {
  await server.stop();
}
if (flags.flag('json')) process.stdout.write(`${JSON.stringify({ meta, results }, null, 2)}\n`);
else process.stdout.write(`${markdown(meta, results)}\n`);
