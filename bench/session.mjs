#!/usr/bin/env node
// Session store benchmark: @memwire/session vs connect-memcached 3 (on node `memcached` 2), in one run.
// Usage: USAGE below (`node bench/session.mjs --help`); bench/README.md ("Sessions") says what is measured.
//
// A benchmark, not a test: nothing here asserts on speed. It starts its own memcached on a free loopback
// port and ends it by pid when done, on SIGINT/SIGTERM and on errors. The stores run one after another in
// this one process, in alternating rounds, so a drift in the machine's load falls on both alike.
import { createRequire } from 'node:module';
import {
  exitOnSignal,
  fmtOps,
  log,
  measure,
  parseFlags,
  promisify,
  runMeta,
  startMemcached,
  timingFlags,
} from './lib.mjs';

const require = createRequire(import.meta.url);

const USAGE = `usage: node bench/session.mjs [options]

  (no options)        3 rounds; per store and round 0.5 s warm-up + 3 s measured, 50 workers
  --quick             1 round of 0.5 s
  --json              results as JSON on stdout (progress on stderr)
  --duration=S --warmup=S --rounds=N --concurrency=N
  --help              this text

  MEMCACHED_BIN=/path/memcached   the memcached to start
`;
const flags = parseFlags(USAGE, ['quick', 'json', 'duration', 'warmup', 'rounds', 'concurrency']);
const TIMING = timingFlags(flags);
const ROUNDS = Number(flags.opt('rounds') ?? (TIMING.quick ? 1 : 3));
const CONCURRENCY = Number(flags.opt('concurrency') ?? 50);
/** Sessions in play: each operation loads one at random and saves it back. */
const SESSIONS = 10_000;

exitOnSignal();

const session = require('express-session');
const connectMemcached = require('connect-memcached');
const { MemwireSessionStore } = await import('../packages/session/dist/index.mjs');
const { createClient } = await import('../packages/core/dist/index.mjs');

/** A logged-in user's session, as express-session hands it to a store: a Cookie and ~250 bytes of data. */
function sessionOf(i) {
  return {
    cookie: new session.Cookie({ maxAge: 3_600_000, httpOnly: true, sameSite: 'lax' }),
    user: { id: i, name: `user ${i}`, roles: ['reader', 'writer'] },
    csrf: 'c8a4e2f0b1d94f6e8a7c3b2d1e0f9a8b',
    cart: [
      { sku: 'A-100', qty: 1 },
      { sku: 'B-220', qty: 3 },
    ],
    visits: 1,
  };
}

const STORES = {
  '@memwire/session': (address) => {
    const store = new MemwireSessionStore({ env: {}, servers: address });
    return { store, close: () => store.close() };
  },
  'connect-memcached 3 (node memcached)': (address) => {
    const MemcachedStore = connectMemcached(session);
    const store = new MemcachedStore({ hosts: [address], prefix: 'cm:' });
    return { store, close: async () => store.client.end() };
  },
};

/**
 * One request's worth of store work, as express-session does it: load the session (get), change it,
 * save the same object back (set). What the store hands back is what it is given back.
 */
function getThenSet(store) {
  const get = promisify(store.get.bind(store));
  const set = promisify(store.set.bind(store));
  return async (n) => {
    const sid = `sid-${(n * 7919) % SESSIONS}`;
    const loaded = await get(sid);
    if (!loaded) throw new Error(`session ${sid} missing`);
    loaded.visits += 1;
    await set(sid, loaded);
  };
}

/**
 * The floor under any store on this machine: @memwire/core's own get and set of a session's JSON text
 * (parsed and re-serialised as a store must), with no store in between. Not a store: a reference row.
 */
function coreFloor(address) {
  const client = createClient({ env: {}, servers: address });
  const op = async (n) => {
    const key = `floor:sid-${(n * 7919) % SESSIONS}`;
    const loaded = JSON.parse(await client.get(key));
    loaded.visits += 1;
    await client.set(key, JSON.stringify(loaded), { ttl: 3600 });
  };
  const fill = (i) => client.set(`floor:sid-${i}`, JSON.stringify(sessionOf(i)), { ttl: 3600 });
  return { op, fill, close: () => client.close() };
}

const server = await startMemcached();
const meta = runMeta(TIMING, { rounds: ROUNDS, concurrency: CONCURRENCY, sessions: SESSIONS });
const FLOOR = '(floor) @memwire/core get+set of the JSON, no store';
const rounds = Object.fromEntries([...Object.keys(STORES), FLOOR].map((name) => [name, []]));
try {
  const opened = Object.entries(STORES).map(([name, open]) => {
    const { store, close } = open(server.address);
    const set = promisify(store.set.bind(store));
    return { name, op: getThenSet(store), fill: (i) => set(`sid-${i}`, sessionOf(i)), close };
  });
  opened.push({ name: FLOOR, ...coreFloor(server.address) });
  for (const { name, fill } of opened) {
    log(`${name}: writing ${SESSIONS} sessions`);
    for (let i = 0; i < SESSIONS; i += 500)
      await Promise.all(Array.from({ length: 500 }, (_, j) => fill(i + j)));
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order, so no store always runs first in a round.
    const order = round % 2 === 0 ? opened : [...opened].reverse();
    for (const { name, op } of order) {
      const cell = await measure(op, CONCURRENCY, TIMING);
      rounds[name].push(cell);
      log(
        `round ${round + 1}: ${name}: ${cell.error ? `error: ${cell.error}` : `${fmtOps(cell.opsPerSec)} get+set/s`}`,
      );
    }
  }
  await Promise.all(opened.map(({ close }) => close()));
} finally {
  await server.stop();
}

const median = (cells) => {
  const values = cells
    .filter((cell) => !cell.error)
    .map((cell) => cell.opsPerSec)
    .sort((a, b) => a - b);
  return values.length === 0 ? undefined : values[Math.floor(values.length / 2)];
};
const results = Object.fromEntries(
  Object.entries(rounds).map(([name, cells]) => [name, { median: median(cells), rounds: cells }]),
);

if (TIMING.json) {
  process.stdout.write(`${JSON.stringify({ meta, results }, null, 2)}\n`);
} else {
  const [ours, theirs] = Object.keys(STORES).map((name) => results[name].median);
  const floor = results[FLOOR].median;
  console.log(
    `${meta.date} · Node ${meta.node} · ${meta.cpu} × ${meta.cores} · ${meta.memcached} · c=${CONCURRENCY}, ` +
      `${ROUNDS} round(s) of ${TIMING.durationMs / 1000} s (median round)\n`,
  );
  console.log(`| store | sessions get+set/s (c=${CONCURRENCY}) | rounds |`);
  console.log('| --- | ---: | --- |');
  for (const [name, { median: value, rounds: cells }] of Object.entries(results)) {
    const each = cells.map((cell) => (cell.error ? 'error' : fmtOps(cell.opsPerSec))).join(' / ');
    console.log(`| ${name} | ${value === undefined ? '—' : fmtOps(value)} | ${each} |`);
  }
  if (ours !== undefined && theirs !== undefined)
    console.log(`| **@memwire/session / connect-memcached** | ${(ours / theirs).toFixed(2)}× | |`);
  if (floor !== undefined && theirs !== undefined)
    console.log(`| (floor / connect-memcached) | ${(floor / theirs).toFixed(2)}× | |`);
}
