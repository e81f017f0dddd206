#!/usr/bin/env node
// The CPU @memwire/session spends per request on its own, with no socket and no memcached: the store
// on a client that answers at once from a Map, against the floor's JSON.parse + JSON.stringify on the
// same client. The network and the machine's other work weigh on bench/session.mjs's figures far more
// than the store's own few microseconds; this isolates them. Usage: node bench/session-overhead.mjs
//
// A benchmark, not a test: nothing here asserts on speed. It measures the build in packages/session/dist.
import { createRequire } from 'node:module';
import { saveSession, sessionOf, sessionRequest } from './session-payload.mjs';

const OPS = 200_000;
const ROUNDS = 4;
const SESSIONS = 100;
const session = createRequire(import.meta.url)('express-session');
const { MemwireSessionStore } = await import('../packages/session/dist/index.mjs');

/** The part of a client the store uses, answering at once (each answer still a promise, as the core's). */
function instantClient() {
  const items = new Map();
  return {
    get: async (key) => items.get(key),
    set: async (key, value) => {
      items.set(key, value);
      return true;
    },
    add: async (key, value) => {
      if (items.has(key)) return false;
      items.set(key, value);
      return true;
    },
    incr: async () => undefined,
    touch: async () => true,
    delete: async (key) => items.delete(key),
    close: async () => {},
  };
}

const store = new MemwireSessionStore({ client: instantClient() });
const floor = instantClient();
for (let i = 0; i < SESSIONS; i++) {
  await saveSession(store, `sid-${i}`, sessionOf(i, session));
  await floor.set(`floor:sid-${i}`, JSON.stringify(sessionOf(i, session)));
}
const ops = {
  '@memwire/session (callback API, as express-session calls it)': (n) =>
    sessionRequest(store, `sid-${n % SESSIONS}`),
  '(floor) JSON.parse + JSON.stringify, no store': async (n) => {
    const key = `floor:sid-${n % SESSIONS}`;
    const loaded = JSON.parse(await floor.get(key));
    loaded.visits += 1;
    await floor.set(key, JSON.stringify(loaded), { ttl: 3600 });
  },
};

/** CPU time (user + system) per operation, 50 at once as in bench/session.mjs: less moved by other work than wall time. */
async function cpuPerOp(op) {
  let n = 0;
  const worker = async () => {
    while (n < OPS) await op(n++);
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: 50 }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / OPS;
}

const figures = Object.fromEntries(Object.keys(ops).map((name) => [name, []]));
for (let round = 0; round <= ROUNDS; round++)
  for (const [name, op] of Object.entries(ops)) {
    const us = await cpuPerOp(op);
    if (round > 0) figures[name].push(us); // round 0 warms the JIT up
  }
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(`| get+set, no network | CPU µs/op (median of ${ROUNDS}) | rounds |`);
console.log('| --- | ---: | --- |');
for (const [name, list] of Object.entries(figures))
  console.log(`| ${name} | ${median(list).toFixed(2)} | ${list.map((us) => us.toFixed(2)).join(' / ')} |`);
const [ours, bare] = Object.values(figures).map(median);
console.log(`| the store's own work | ${(ours - bare).toFixed(2)} | |`);
