#!/usr/bin/env node
// Session store benchmark: @memwire/session vs connect-memcached 3 (on node `memcached` 2), in one run.
// Usage: USAGE below (`node bench/session.mjs --help`); bench/README.md ("Sessions") says what is measured.
//
// A benchmark, not a test: nothing here asserts on speed. It starts its own memcached on a free loopback
// port and ends it by pid when done, on SIGINT/SIGTERM and on errors. Each store runs in a child process
// of its own (so one client's timers, sockets and garbage never weigh on another's figures), the
// children taking turns in alternating rounds, so a drift in the machine's load falls on all alike.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  cpuMeter,
  exitOnSignal,
  fmtOps,
  log,
  measure,
  parseFlags,
  runMeta,
  startMemcached,
  timingFlags,
} from './lib.mjs';
import { saveSession, sessionOf, sessionRequest } from './session-payload.mjs';

const USAGE = `usage: node bench/session.mjs [options]

  (no options)        5 rounds; per store and round 0.5 s warm-up + 3 s measured, 50 workers
  --quick             1 round of 0.5 s
  --json              results as JSON on stdout (progress on stderr)
  --duration=S --warmup=S --rounds=N --concurrency=N
  --pool-size=N       the @memwire rows' (store and floor alike) poolSize; default: the core's
  --help              this text

  MEMCACHED_BIN=/path/memcached   the memcached to start
`;
/** Sessions in play: each operation loads one at random and saves it back. */
const SESSIONS = 10_000;
const CHILD_STORE = process.env.MEMWIRE_BENCH_SESSION_STORE;
/**
 * --pool-size, for both @memwire rows: the floor must use the store's client settings to stay a floor.
 * Unset: the core's default (one connection per server). connect-memcached keeps its own defaults.
 */
const POOL = process.env.MEMWIRE_BENCH_POOL_SIZE
  ? { poolSize: Number(process.env.MEMWIRE_BENCH_POOL_SIZE) }
  : {};

const STORES = {
  '@memwire/session': openMemwire,
  'connect-memcached 3 (node memcached)': openConnectMemcached,
  '(floor) @memwire/core get+set of the JSON, no store': openFloor,
};

if (CHILD_STORE !== undefined) await child(CHILD_STORE);
else await main();

// ---- a store (child process) ----------------------------------------------------------------------

const sidOf = (n) => `sid-${(n * 7919) % SESSIONS}`;

/** The request of bench/session-payload.mjs, on `store`. */
function storeWork(store, session) {
  return {
    fill: (i) => saveSession(store, `sid-${i}`, sessionOf(i, session)),
    op: (n) => sessionRequest(store, sidOf(n)),
  };
}

async function openMemwire(address, session) {
  const { MemwireSessionStore } = await import('../packages/session/dist/index.mjs');
  const store = new MemwireSessionStore({ env: {}, servers: address, ...POOL });
  return { ...storeWork(store, session), close: () => store.close() };
}

async function openConnectMemcached(address, session) {
  const require = createRequire(import.meta.url);
  const MemcachedStore = require('connect-memcached')(session);
  const store = new MemcachedStore({ hosts: [address], prefix: 'cm:' });
  return { ...storeWork(store, session), close: async () => store.client.end() };
}

/**
 * The floor under any store on this machine: @memwire/core's own get and set of a session's JSON text
 * (parsed and re-serialised, as a store must), with no store in between. A reference row, not a store.
 */
async function openFloor(address, session) {
  const { createClient } = await import('../packages/core/dist/index.mjs');
  const client = createClient({ env: {}, servers: address, ...POOL });
  return {
    fill: (i) => client.set(`floor:sid-${i}`, JSON.stringify(sessionOf(i, session)), { ttl: 3600 }),
    op: async (n) => {
      const key = `floor:${sidOf(n)}`;
      const loaded = JSON.parse(await client.get(key));
      loaded.visits += 1;
      await client.set(key, JSON.stringify(loaded), { ttl: 3600 });
    },
    close: () => client.close(),
  };
}

/** Opens the store, writes every session, then measures whenever the parent asks, until told to stop. */
async function child(name) {
  const session = createRequire(import.meta.url)('express-session');
  const { fill, op, close } = await STORES[name](process.env.MEMWIRE_BENCH_SERVERS, session);
  for (let i = 0; i < SESSIONS; i += 500)
    await Promise.all(Array.from({ length: 500 }, (_, j) => fill(i + j)));
  process.send({ ready: true });
  process.on('message', async (message) => {
    if (message.stop) {
      await close();
      process.exit(0);
    }
    // CPU per operation (this process's, and memcached's): a figure the machine's other work moves far
    // less than the rate, which on 2 shared cores spreads by ±20% between rounds.
    const cpu = cpuMeter([Number(process.env.MEMWIRE_BENCH_SERVER_PID)]);
    process.send(await measure(op, message.concurrency, message.timing, cpu));
  });
}

// ---- the run (parent process) --------------------------------------------------------------------

async function main() {
  const flags = parseFlags(USAGE, [
    'quick',
    'json',
    'duration',
    'warmup',
    'rounds',
    'concurrency',
    'pool-size',
  ]);
  const timing = timingFlags(flags);
  const rounds = Number(flags.opt('rounds') ?? (timing.quick ? 1 : 5));
  const concurrency = Number(flags.opt('concurrency') ?? 50);
  exitOnSignal();
  const server = await startMemcached();
  const poolSize = flags.opt('pool-size');
  if (poolSize !== undefined && !(Number.isInteger(Number(poolSize)) && Number(poolSize) > 0)) {
    process.stderr.write(`--pool-size must be a whole number above 0, got ${poolSize}\n`);
    process.exit(2);
  }
  const meta = runMeta(timing, { rounds, concurrency, sessions: SESSIONS, poolSize: poolSize ?? 'default' });
  const cells = Object.fromEntries(Object.keys(STORES).map((name) => [name, []]));
  const children = [];
  try {
    for (const name of Object.keys(STORES)) {
      log(`${name}: writing ${SESSIONS} sessions`);
      const process_ = fork(fileURLToPath(import.meta.url), [], {
        env: {
          ...process.env,
          MEMWIRE_BENCH_SESSION_STORE: name,
          MEMWIRE_BENCH_SERVERS: server.address,
          MEMWIRE_BENCH_SERVER_PID: String(server.pid),
          MEMWIRE_BENCH_POOL_SIZE: poolSize ?? '',
        },
      });
      children.push({ name, process: process_ });
      const [message] = await once(process_, 'message');
      if (!message.ready) throw new Error(`${name} did not start`);
    }
    for (let round = 0; round < rounds; round++) {
      // Alternate the order, so no store always runs first in a round.
      const order = round % 2 === 0 ? children : [...children].reverse();
      for (const { name, process: process_ } of order) {
        process_.send({ concurrency, timing: { warmupMs: timing.warmupMs, durationMs: timing.durationMs } });
        const [cell] = await once(process_, 'message');
        cells[name].push(cell);
        log(
          `round ${round + 1}: ${name}: ${cell.error ? `error: ${cell.error}` : `${fmtOps(cell.opsPerSec)} get+set/s`}`,
        );
      }
    }
    await Promise.all(
      children.map(({ process: process_ }) => {
        process_.send({ stop: true });
        return once(process_, 'exit');
      }),
    );
  } finally {
    for (const { process: process_ } of children) if (process_.exitCode === null) process_.kill('SIGKILL');
    await server.stop();
  }
  report(meta, cells, { rounds, concurrency, timing });
}

function report(meta, cells, { rounds, concurrency, timing }) {
  const median = (list, of = (cell) => cell.opsPerSec) => {
    const values = list
      .filter((cell) => !cell.error)
      .map(of)
      .sort((a, b) => a - b);
    return values.length === 0 ? undefined : values[Math.floor(values.length / 2)];
  };
  const results = Object.fromEntries(
    Object.entries(cells).map(([name, list]) => [
      name,
      {
        median: median(list),
        clientUsPerOp: median(list, (cell) => cell.cpu.clientUsPerOp),
        serverUsPerOp: median(list, (cell) => cell.cpu.serversUsPerOp),
        rounds: list,
      },
    ]),
  );
  if (timing.json) {
    process.stdout.write(`${JSON.stringify({ meta, results }, null, 2)}\n`);
    return;
  }
  const [ours, theirs, floor] = Object.keys(STORES).map((name) => results[name].median);
  console.log(
    `${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores} · ${meta.memcached} · c=${concurrency}, ` +
      `${rounds} round(s) of ${timing.durationMs / 1000} s (median round)\n`,
  );
  const us = (value) => (value === undefined ? '—' : value.toFixed(1));
  console.log(
    `| store | sessions get+set/s (c=${concurrency}) | client CPU µs/op | memcached CPU µs/op | rounds |`,
  );
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const [name, { median: value, clientUsPerOp, serverUsPerOp, rounds: list }] of Object.entries(
    results,
  )) {
    const each = list.map((cell) => (cell.error ? 'error' : fmtOps(cell.opsPerSec))).join(' / ');
    console.log(
      `| ${name} | ${value === undefined ? '—' : fmtOps(value)} | ${us(clientUsPerOp)} | ${us(serverUsPerOp)} | ${each} |`,
    );
  }
  if (ours !== undefined && theirs !== undefined)
    console.log(`| **@memwire/session / connect-memcached** | ${(ours / theirs).toFixed(2)}× | | | |`);
  if (floor !== undefined && theirs !== undefined)
    console.log(`| (floor / connect-memcached) | ${(floor / theirs).toFixed(2)}× | | | |`);
  if (ours !== undefined && floor !== undefined)
    console.log(`| (@memwire/session / floor) | ${(ours / floor).toFixed(2)}× | | | |`);
}
