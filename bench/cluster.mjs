#!/usr/bin/env node
// memwire cluster benchmark: three memcached servers, and two questions.
//
//  1. Throughput over the cluster: @memwire/core vs node `memcached` (keys placed by its hashring) vs a raw
//     baseline (one socket per server, keys placed by memwire's own KetamaRing), for get and set at c=50 and
//     getMany of 100 keys.
//  2. Failure timing: with load running, one server is killed with SIGKILL, then restarted. How long after
//     its death do the commands for its keys fail fast (or miss) consistently, and how long after its
//     restart do its keys hit again? For memwire (default options, and retryDelay 100 / maxRetryDelay 1000)
//     and node `memcached` (defaults). Each wait is bounded (--limit, 60 s): past it, "> 60 s" is reported.
//
// Usage: USAGE below (`node bench/cluster.mjs --help`); bench/README.md says what is measured and how.
//
// A benchmark, not a test: it asserts nothing about speed. It starts its own memcached processes on free
// loopback ports and stops them by pid when done, on SIGINT/SIGTERM and on errors.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import {
  cpuMeter,
  exitOnSignal,
  fmtCell,
  fmtOps,
  hitCount,
  log,
  measure,
  parseFlags,
  printableValue,
  promisify,
  runMeta,
  sleep,
  startServers,
  timingFlags,
} from './lib.mjs';
import { RawClient } from './raw-client.mjs';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node bench/cluster.mjs [options]

  (no options)                        full run (3 s per throughput cell after 0.5 s warm-up, ~9 minutes)
  --quick                             0.5 s per cell, 2 failure runs, failure timing bounded to 20 s
  --json                              JSON on stdout; progress always goes to stderr
  --duration=S --warmup=S --limit=S   per-cell timings, and the failure-timing bound (seconds)
  --repeat=N                          failure-timing runs per memwire configuration (default 5)
  --only=throughput | --only=failover
  --clients=raw,memwire,memwire-pool-2,memwire-fast-retry,memcached   run only these
  --help                              this text

  MEMCACHED_BIN=/path/memcached       the memcached to start
`;
const flags = parseFlags(USAGE, [
  'quick',
  'json',
  'duration',
  'warmup',
  'limit',
  'repeat',
  'only',
  'clients',
]);
const TIMING = timingFlags(flags);
const QUICK = TIMING.quick;
const JSON_OUT = TIMING.json;
const LIMIT_MS = Number(flags.opt('limit') ?? (QUICK ? 20 : 60)) * 1000;
const ONLY = flags.opt('only');
const CLIENT_FILTER = flags.opt('clients')?.split(',').filter(Boolean);
const wanted = (name) => CLIENT_FILTER === undefined || CLIENT_FILTER.includes(name);
/** Failure-timing runs per memwire configuration: where a restart falls in the probe backoff is luck. */
const REPEAT = Number(flags.opt('repeat') ?? (QUICK ? 2 : 5));

const SERVERS = 3;
const VALUE_SIZE = 100;
const KEYSPACE = 3000;
const MULTI_KEYS = 100;
const CONCURRENCY = 50;

// Failure timing. A command "fails fast" when it settles (rejected, or a miss) within FAST_MS of being
// issued; an outcome holds "consistently" once it has held for every command issued during STABLE_MS
// (and at least MIN_RECENT of them were issued then: a client whose callers are all stuck proves nothing).
const FAST_MS = 100;
const STABLE_MS = 2000;
const MIN_RECENT = 10;
/** The server stays down at least this long, so every client sees the same outage. */
const MIN_DOWN_MS = 5000;
const VICTIM = 2;

const keyOf = (i) => `cluster:${i % KEYSPACE}`;
const VALUE = printableValue(VALUE_SIZE);
const MULTI_KEYSETS = Array.from({ length: 10 }, (_, s) =>
  Array.from({ length: MULTI_KEYS }, (_, j) => keyOf(s * MULTI_KEYS * 3 + j * 3)),
);

// ---------------------------------------------------------------------------------------------------------
// memcached processes: -t 1 -m 64 each (three servers share the machine's cores with the client),
// started through the server library, which ends them by pid however the run ends.

/** Fresh processes on the same ports: every client starts against empty, healthy servers. */
async function restartAll(servers) {
  for (const server of servers) {
    // SIGKILL first: a SIGTERMed memcached takes most of a second to exit, and nothing here needs it.
    await server.kill();
    await server.restart();
  }
}

exitOnSignal();
// A peer that rejects without a handler must not end the run: log it, keep going.
process.on('unhandledRejection', (err) => log('unhandled rejection:', err?.message ?? err));

// ---------------------------------------------------------------------------------------------------------
// Clients. Each exposes get(key) -> value|undefined, set(key, value), getMany(keys) -> Map|object, close().

let core;
/** @memwire/core, imported once: a rebuild that empties dist/ during the run does not affect it. */
function loadCore() {
  core ??= existsSync(new URL('../packages/core/dist/index.mjs', import.meta.url))
    ? import('@memwire/core')
    : Promise.reject(
        new Error('packages/core/dist/index.mjs not found: build @memwire/core first (npm run build)'),
      );
  return core;
}

const CLIENTS = {
  raw: {
    label: 'raw baseline (ketama)',
    async create(servers) {
      // One RawClient per server; a key goes where memwire's ring (weighted ketama, MD5) puts it.
      const { KetamaRing, parseServerList } = await loadCore();
      const ring = new KetamaRing(parseServerList(servers.map((s) => s.address).join(','), 'servers'));
      const sockets = servers.map((s) => new RawClient(s.port));
      await Promise.all(sockets.map((c) => c.connect()));
      const route = (key) => sockets[ring.serverFor(key)];
      return {
        get: (k) => route(k).get(k),
        set: (k, v) => route(k).set(k, v),
        getMany: async (keys) => {
          const byServer = new Map();
          for (const key of keys) {
            const c = route(key);
            if (!byServer.has(c)) byServer.set(c, []);
            byServer.get(c).push(key);
          }
          const parts = await Promise.all([...byServer].map(([c, ks]) => c.getMany(ks)));
          return new Map(parts.flatMap((part) => [...part]));
        },
        close: () => {
          for (const c of sockets) c.close();
        },
      };
    },
  },

  memwire: {
    label: '@memwire/core',
    options: {},
    async create(servers, options = {}) {
      const { createClient } = await loadCore();
      const client = createClient({ servers: servers.map((s) => s.address), env: {}, ...options });
      return {
        get: (k) => client.get(k),
        set: (k, v) => client.set(k, v),
        getMany: (keys) => client.getMany(keys),
        close: () => client.close(),
        raw: client,
      };
    },
  },

  // The default is one connection per server (since 2026-12-07; this row was poolSize 1 before).
  'memwire-pool-2': {
    label: '@memwire/core, poolSize 2',
    async create(servers) {
      return CLIENTS.memwire.create(servers, { poolSize: 2 });
    },
  },

  'memwire-fast-retry': {
    label: '@memwire/core, retryDelay 100 / maxRetryDelay 1000',
    failoverOnly: true,
    async create(servers) {
      return CLIENTS.memwire.create(servers, { retryDelay: 100, maxRetryDelay: 1000 });
    },
  },

  memcached: {
    label: 'memcached (node, hashring)',
    async create(servers) {
      const Memcached = require('memcached');
      // Defaults, as most apps run it: keys placed by `hashring` (ketama-like, its own point layout, so
      // not the same servers as libmemcached or memwire); a failing server is retried after `retry`
      // (30 s), marked dead after `failures` (5) and then reconnected every `reconnect` ms (18,000,000:
      // five hours); `remove: false` keeps a dead server in the ring.
      const client = new Memcached(servers.map((s) => s.address));
      const get = promisify(client.get.bind(client));
      const set = promisify(client.set.bind(client));
      const getMulti = promisify(client.getMulti.bind(client));
      return {
        get: (k) => get(k),
        set: (k, v) => set(k, v, 0),
        getMany: (keys) => getMulti(keys),
        close: () => client.end(),
      };
    },
  },
};

// ---------------------------------------------------------------------------------------------------------
// Throughput

const CELLS = [
  ['get', 50],
  ['set', 50],
  ['getMany', 1],
  ['getMany', 50],
];

async function throughput(name, servers) {
  const spec = CLIENTS[name];
  const result = { client: name, label: spec.label, cells: {} };
  let c;
  try {
    c = await spec.create(servers);
  } catch (err) {
    result.skipped = String(err.message).split('\n')[0];
    return result;
  }
  try {
    for (let i = 0; i < KEYSPACE; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => c.set(keyOf(i + j), VALUE)));
    }
    const got = await c.get(keyOf(1));
    const many = await c.getMany(MULTI_KEYSETS[0]);
    if (got !== VALUE || hitCount(many) !== MULTI_KEYS) {
      result.skipped = `correctness check failed: get ${JSON.stringify(got)?.slice(0, 20)}, getMany ${hitCount(many)} hits`;
      return result;
    }
    const ops = {
      get: (i) => c.get(keyOf(i)),
      set: (i) => c.set(keyOf(i), VALUE),
      getMany: (i) => c.getMany(MULTI_KEYSETS[i % MULTI_KEYSETS.length]),
    };
    for (const [op, n] of CELLS) {
      result.cells[`${op}:${n}`] = await measure(
        ops[op],
        n,
        TIMING,
        cpuMeter(servers.map((server) => server.pid)),
      );
      log(`  ${name} ${op} c=${n}: ${fmtCell(result.cells[`${op}:${n}`])}`);
    }
  } finally {
    await Promise.resolve(c.close()).catch((err) => log(`  ${name}: close failed: ${err.message}`));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Failure timing

/**
 * What happened to the victim's keys during one phase (down, or back up): when the last "bad" command
 * was issued (slow or hitting while down; not hitting after the restart), and whether the good outcome
 * then held consistently.
 */
function phaseTracker(name, start, isBad) {
  return {
    name,
    start,
    lastBad: undefined,
    issued: 0,
    /** [time, issued] samples, to count the commands issued during the last STABLE_MS. */
    samples: [],
    pending: new Set(),
    slowest: 0,
    outcomes: { hit: 0, miss: 0, error: 0 },
    isBad,
    markBad(issue) {
      if (this.lastBad === undefined || issue > this.lastBad) this.lastBad = issue;
    },
    /** Whether the good outcome has held for STABLE_MS, over enough commands. */
    settledAt(now) {
      for (const record of this.pending) if (now - record.issue > FAST_MS) this.markBad(record.issue);
      this.samples.push([now, this.issued]);
      while (this.samples.length > 1 && now - this.samples[1][0] >= STABLE_MS) this.samples.shift();
      const [since, before] = this.samples[0];
      const recent = now - since >= STABLE_MS ? this.issued - before : 0;
      const calmSince = this.lastBad ?? this.start;
      return recent >= MIN_RECENT && now - calmSince >= STABLE_MS;
    },
  };
}

/**
 * Load on every server (CONCURRENCY workers); the victim's keys are written then read back, so a hit
 * after the restart means the server really serves them again. Kills the victim, waits until its keys
 * fail fast (or miss) consistently, restarts it, and waits until its keys hit consistently — each
 * wait bounded by LIMIT_MS.
 */
async function failover(name, servers) {
  const spec = CLIENTS[name];
  const result = { client: name, label: spec.label };
  const c = await spec.create(servers);
  const victim = servers[VICTIM];
  const events = [];
  c.raw?.on('serverDown', () => events.push(['serverDown', performance.now()]));
  c.raw?.on('serverUp', () => events.push(['serverUp', performance.now()]));

  // Which keys the client put on the victim, asked of the victim itself: each client has its own ring.
  for (let i = 0; i < KEYSPACE; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => c.set(keyOf(i + j), VALUE)));
  }
  const held = new RawClient(victim.port);
  await held.connect();
  const victimKeys = [];
  for (let i = 0; i < KEYSPACE; i += 100) {
    const keys = Array.from({ length: 100 }, (_, j) => keyOf(i + j));
    const hits = await held.getMany(keys);
    victimKeys.push(...hits.keys());
  }
  held.close();
  const onVictim = new Set(victimKeys);
  const liveKeys = Array.from({ length: KEYSPACE }, (_, i) => keyOf(i)).filter((k) => !onVictim.has(k));
  log(`  ${name}: ${victimKeys.length} of ${KEYSPACE} keys on the victim`);

  // Warm-up has a tracker too, so a call issued before the kill that never settles still shows.
  let phase = phaseTracker('warm-up', performance.now(), () => false);
  const warm = phase;
  const live = { ops: 0, errors: 0, misses: 0, slowest: 0, pending: 0 };
  let stop = false;
  const settleVictim = (tracker, record, outcome) => {
    tracker.pending.delete(record);
    const took = performance.now() - record.issue;
    tracker.slowest = Math.max(tracker.slowest, took);
    tracker.outcomes[outcome] += 1;
    if (tracker.isBad(outcome, took)) tracker.markBad(record.issue);
  };
  const worker = async (w) => {
    for (let round = 0; !stop; round++) {
      const i = round * CONCURRENCY + w;
      // A third of the commands go to the victim's keys, whatever its share of the ring.
      if (i % 3 === 0 && victimKeys.length > 0) {
        const key = victimKeys[i % victimKeys.length];
        const tracker = phase;
        const record = { issue: performance.now() };
        tracker.pending.add(record);
        tracker.issued += 1;
        let outcome;
        try {
          await c.set(key, VALUE).catch(() => undefined);
          const value = await c.get(key);
          outcome = value === VALUE ? 'hit' : 'miss';
        } catch {
          outcome = 'error';
        }
        settleVictim(tracker, record, outcome);
      } else {
        const key = liveKeys[i % liveKeys.length];
        const issue = performance.now();
        live.pending += 1;
        try {
          const value = await c.get(key);
          if (value !== VALUE) live.misses += 1;
        } catch {
          live.errors += 1;
        }
        live.pending -= 1;
        live.ops += 1;
        live.slowest = Math.max(live.slowest, performance.now() - issue);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, (_, w) => worker(w));
  await sleep(1000);

  /** Waits until the phase's good outcome holds consistently (and `minMs` has passed), or LIMIT_MS. */
  const waitFor = async (tracker, minMs) => {
    for (;;) {
      await sleep(100);
      const now = performance.now();
      const calm = tracker.settledAt(now);
      if (calm && now - tracker.start >= minMs) {
        return { ms: tracker.lastBad === undefined ? 0 : tracker.lastBad - tracker.start, reached: true };
      }
      if (now - tracker.start >= LIMIT_MS) return { ms: LIMIT_MS, reached: false };
    }
  };

  // Down: bad = a command on its keys that took longer than FAST_MS, or (impossibly) hit.
  await victim.kill();
  const down = phaseTracker(
    'down',
    performance.now(),
    (outcome, took) => outcome === 'hit' || took > FAST_MS,
  );
  phase = down;
  const downLive = { ...live };
  const failFast = await waitFor(down, MIN_DOWN_MS);
  const downFor = performance.now() - down.start;
  const liveDuringOutage = {
    ops: live.ops - downLive.ops,
    errors: live.errors - downLive.errors,
    misses: live.misses - downLive.misses,
  };
  log(`  ${name}: fail fast after ${fmtWait(failFast)} (down ${(downFor / 1000).toFixed(1)} s)`);

  // Back up: bad = a command on its keys that did not hit.
  await victim.restart();
  const up = phaseTracker('up', performance.now(), (outcome) => outcome !== 'hit');
  phase = up;
  const recovered = await waitFor(up, 0);
  log(`  ${name}: keys hit again after ${fmtWait(recovered)}`);

  stop = true;
  const drained = await Promise.race([Promise.all(workers).then(() => true), sleep(5000).then(() => false)]);
  await Promise.race([Promise.resolve(c.close()).catch(() => undefined), sleep(5000)]);
  // The client may see the sockets die a moment before this process sees the child exit: clamp to 0.
  const since = (t, at) => (at === undefined ? undefined : Math.max(0, at - t));
  return {
    ...result,
    failFast,
    downForMs: downFor,
    recovered,
    victimKeys: victimKeys.length,
    // Calls in flight at the kill, issued during warm-up, count too: one that never settles shows here.
    slowestWhileDownMs: Math.max(
      down.slowest,
      ...[...warm.pending, ...down.pending].map((r) => performance.now() - r.issue),
    ),
    /** Calls still pending 5 s after the load stopped: a client whose callbacks never come. */
    stuckAtEnd: drained ? 0 : warm.pending.size + down.pending.size + up.pending.size + live.pending,
    downOutcomes: down.outcomes,
    upOutcomes: up.outcomes,
    liveDuringOutage,
    liveSlowestMs: live.slowest,
    serverDownAfterMs: since(down.start, events.find(([e]) => e === 'serverDown')?.[1]),
    serverUpAfterMs: since(up.start, events.find(([e]) => e === 'serverUp')?.[1]),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

const fmtMs = (ms) =>
  ms === undefined ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
const fmtWait = (w) => (w.reached ? fmtMs(w.ms) : `> ${fmtMs(w.ms)}`);
/** Up to three runs: each, in run order. More: the median, and the range in brackets. */
function fmtSpread(waits) {
  if (waits.length <= 3) return waits.map(fmtWait).join(' / ');
  const sorted = [...waits].sort((a, b) => Number(!a.reached) - Number(!b.reached) || a.ms - b.ms);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return `${fmtWait(median)} (${fmtWait(sorted[0])}–${fmtWait(sorted.at(-1))})`;
}

function markdown(meta, rows, failures) {
  const out = [];
  out.push('# memwire cluster benchmark', '');
  out.push(`- date: ${meta.date}`);
  out.push(`- node: ${meta.node}; CPU: ${meta.cpu} (${meta.cores} cores)`);
  out.push(`- memcached: ${meta.memcached}, ${SERVERS} processes (-t 1 -m 64 each), loopback`);
  out.push(
    `- throughput: ${meta.warmupMs / 1000} s warm-up + ${meta.durationMs / 1000} s per cell; ${VALUE_SIZE}-byte values, ${KEYSPACE} keys`,
  );
  out.push('');
  if (rows.length > 0) {
    out.push('## Throughput over three servers (ops/s; getMany: calls/s of 100 keys)', '');
    out.push(`| client | ${CELLS.map(([op, n]) => `${op} c=${n}`).join(' | ')} |`);
    out.push(`|---|${CELLS.map(() => '---:').join('|')}|`);
    for (const r of rows) {
      const cells = CELLS.map(([op, n], i) =>
        r.skipped ? (i === 0 ? `skipped: ${r.skipped}` : '') : fmtCell(r.cells[`${op}:${n}`]),
      );
      out.push(`| ${r.label} | ${cells.join(' | ')} |`);
    }
    const ratio = (a, b, op, n) => {
      const x = rows.find((r) => r.client === a)?.cells[`${op}:${n}`]?.opsPerSec;
      const y = rows.find((r) => r.client === b)?.cells[`${op}:${n}`]?.opsPerSec;
      return x && y ? `${(x / y).toFixed(2)}×` : '—';
    };
    out.push(
      `| **memwire / memcached** | ${CELLS.map(([op, n]) => ratio('memwire', 'memcached', op, n)).join(' | ')} |`,
    );
    out.push(`| **memwire / raw** | ${CELLS.map(([op, n]) => ratio('memwire', 'raw', op, n)).join(' | ')} |`);
    out.push('');
    out.push(
      '## CPU during each cell: the client and the three servers, % of one core (µs per op)',
      '',
      `The machine has ${meta.cores} cores (${meta.cores * 100}%); client + servers near that is a machine at its limit.`,
      '',
    );
    out.push(`| client | ${CELLS.map(([op, n]) => `${op} c=${n}`).join(' | ')} |`);
    out.push(`|---|${CELLS.map(() => '---:').join('|')}|`);
    for (const r of rows) {
      if (r.skipped) continue;
      const cells = CELLS.map(([op, n]) => {
        const cpu = r.cells[`${op}:${n}`]?.cpu;
        if (cpu === undefined) return '—';
        const pct = (x) => `${Math.round(x)}%`;
        const us = (x) => x.toFixed(1);
        return `client ${pct(cpu.clientPct)} (${us(cpu.clientUsPerOp)}) + servers ${pct(cpu.serversPct)} (${us(cpu.serversUsPerOp)})`;
      });
      out.push(`| ${r.label} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  if (failures.length > 0) {
    out.push(
      `## Failure timing (kill -9 one of three servers under load at c=${CONCURRENCY}, restart it; bound ${LIMIT_MS / 1000} s)`,
      '',
    );
    out.push(
      '| client | runs | its keys fail fast after | slowest command on its keys while down | its keys hit again after restart | serverUp after restart | other servers’ keys during the outage |',
    );
    out.push('|---|---:|---:|---:|---:|---:|---|');
    for (const f of failures) {
      if (f.runs.length === 0) {
        out.push(`| ${f.label} | 0 | skipped: ${f.skipped} | | | | |`);
        continue;
      }
      const runs = f.runs;
      // Up to three runs: each run's figures, in run order; more: the sums.
      const perRun = runs.length <= 3;
      const liveOf = (list) =>
        list.reduce(
          (sum, r) => ({
            ops: sum.ops + r.liveDuringOutage.ops,
            errors: sum.errors + r.liveDuringOutage.errors,
            misses: sum.misses + r.liveDuringOutage.misses,
            stuck: sum.stuck + r.stuckAtEnd,
          }),
          { ops: 0, errors: 0, misses: 0, stuck: 0 },
        );
      const fmtLive = (live) =>
        `${fmtOps(live.ops)} gets, ${fmtOps(live.errors)} errors, ${fmtOps(live.misses)} misses` +
        (live.stuck > 0 ? `; ${fmtOps(live.stuck)} calls never settled` : '');
      const liveNote = perRun ? runs.map((r) => fmtLive(liveOf([r]))).join(' / ') : fmtLive(liveOf(runs));
      const slowest = perRun
        ? runs.map((r) => fmtMs(r.slowestWhileDownMs)).join(' / ')
        : fmtMs(Math.max(...runs.map((r) => r.slowestWhileDownMs)));
      const ups = runs.map((r) => r.serverUpAfterMs);
      const upCell = ups.some((u) => u === undefined)
        ? '—'
        : fmtSpread(ups.map((ms) => ({ ms, reached: true })));
      out.push(
        `| ${f.label} | ${runs.length} | ${fmtSpread(runs.map((r) => r.failFast))} | ${slowest} | ${fmtSpread(runs.map((r) => r.recovered))} | ${upCell} | ${liveNote} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const meta = runMeta(TIMING, { limitMs: LIMIT_MS });
  log(`memwire cluster bench: node ${meta.node}, ${meta.cpu} x${meta.cores}, ${meta.memcached}`);
  await loadCore().catch((err) => log(`memwire rows will be skipped: ${err.message}`));
  const servers = await startServers(SERVERS, { memoryMb: 64, threads: 1 });
  log(`memcached pids ${servers.map((s) => s.pid).join(', ')} on ${servers.map((s) => s.port).join(', ')}`);

  const rows = [];
  if (ONLY !== 'failover') {
    for (const name of Object.keys(CLIENTS).filter((n) => !CLIENTS[n].failoverOnly && wanted(n))) {
      log(`${name}: throughput`);
      await restartAll(servers);
      rows.push(await throughput(name, servers));
    }
  }
  const failures = [];
  if (ONLY !== 'throughput') {
    // node memcached does not recover within the bound (see its adapter), so each of its runs takes two
    // bounds: two runs show whether what it does is consistent.
    const plan = [
      ['memwire', REPEAT],
      ['memwire-fast-retry', REPEAT],
      ['memcached', Math.min(REPEAT, 2)],
    ].filter(([name]) => wanted(name));
    for (const [name, runs] of plan) {
      const entry = { client: name, label: CLIENTS[name].label, runs: [] };
      for (let run = 1; run <= runs; run++) {
        log(`${name}: failure timing, run ${run} of ${runs}`);
        await restartAll(servers);
        try {
          entry.runs.push(await failover(name, servers));
        } catch (err) {
          entry.skipped = String(err.message).split('\n')[0];
          break;
        }
      }
      failures.push(entry);
    }
  }
  for (const server of servers) await server.kill();

  if (JSON_OUT) process.stdout.write(`${JSON.stringify({ meta, throughput: rows, failures }, null, 2)}\n`);
  else process.stdout.write(`${markdown(meta, rows, failures)}\n`);
  // node memcached keeps reconnect timers and sockets alive after end(); exit explicitly.
  process.exit(0);
}

main().catch((err) => {
  log(err);
  process.exit(1);
});
