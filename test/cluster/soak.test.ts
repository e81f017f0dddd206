import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Client, createClient } from '../../packages/core/src/index.js';
import { type MemcachedServer, startMemcached } from '../support/index.js';

/**
 * A million mixed commands, pipelined by many concurrent workers, against two real servers: the
 * client must not grow (heap, sockets, timers) with the number of commands it has served, and must
 * give everything back on close().
 */
const OPERATIONS = 1_000_000;
const WARM_UP = 50_000;
const WORKERS = 200;
const KEYS = 2000;
const COUNTERS = 100;
/** Heap growth allowed between the warmed-up baseline and the end of the run. */
const HEAP_TOLERANCE_MB = 20;

// A gc() handle without starting the test worker with --expose-gc (as bench/core.mjs does).
v8.setFlagsFromString('--expose-gc');
const gc = (globalThis.gc ?? vm.runInNewContext('gc')) as () => void;

let servers: MemcachedServer[];
beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached()]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill().then(() => server.stop())));
});

/**
 * What keeps the process alive, by type (sockets, pending connects and writes, …), once closing
 * handles have gone. Timers are left out: memwire's are all unref'd, so they never show here, while
 * the test runner's own come and go.
 */
async function activeResources(): Promise<Record<string, number>> {
  // A destroyed socket's handle closes a turn or two later.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (type !== 'Timeout' && type !== 'Immediate') counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

function heapUsedMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const dataKey = (i: number): string => `soak:data:${i % KEYS}`;
const counterKey = (i: number): string => `soak:count:${i % COUNTERS}`;
const valueFor = (key: string): string => `${key}:`.padEnd(100, '.');

/**
 * Runs `count` commands over `WORKERS` concurrent workers, each awaiting its own command: gets
 * (60%), sets (20%), 10-key getManys (8%), deletes (6%) and incrs (6%). Checks every answer and
 * returns the problems found (none expected).
 */
async function load(client: Client, count: number): Promise<string[]> {
  let issued = 0;
  const problems: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok && problems.length < 10) problems.push(what);
  };
  const worker = async (): Promise<void> => {
    while (issued < count) {
      const i = issued++;
      const pick = (i * 7919) % 100;
      try {
        if (pick < 60) {
          const key = dataKey(i);
          const value = await client.get(key);
          check(value === undefined || value === valueFor(key), `get ${key} gave ${value}`);
        } else if (pick < 80) {
          const key = dataKey(i);
          check((await client.set(key, valueFor(key))) === true, `set ${key} not stored`);
        } else if (pick < 88) {
          const keys = Array.from({ length: 10 }, (_, j) => dataKey(i + j * 13));
          const hits = await client.getMany(keys);
          for (const [key, value] of hits) check(value === valueFor(key), `getMany ${key} gave ${value}`);
        } else if (pick < 94) {
          await client.delete(dataKey(i));
        } else {
          const next = await client.incr(counterKey(i), 1);
          check(typeof next === 'number' && next > 0, `incr gave ${next}`);
        }
      } catch (error) {
        check(false, `command ${i} failed: ${error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return problems;
}

test(`${OPERATIONS.toLocaleString('en')} mixed commands leave heap and handles flat, and close() releases everything`, {
  timeout: 90_000,
}, async () => {
  const beforeClient = await activeResources();
  const client = createClient({ env: {}, servers: servers.map((server) => server.address) });
  await client.setMany(Array.from({ length: COUNTERS }, (_, i) => [counterKey(i), '0'] as const));

  expect(await load(client, WARM_UP)).toEqual([]);
  const heapBaseline = heapUsedMb();
  const warmResources = await activeResources();

  const started = performance.now();
  expect(await load(client, OPERATIONS)).toEqual([]);
  const seconds = (performance.now() - started) / 1000;

  const heapGrowth = heapUsedMb() - heapBaseline;
  expect(await activeResources()).toEqual(warmResources);
  expect(heapGrowth).toBeLessThan(HEAP_TOLERANCE_MB);
  // Every counter was incremented about 6% × OPERATIONS / COUNTERS times; none lost its value.
  const counters = await client.getMany(Array.from({ length: COUNTERS }, (_, i) => counterKey(i)));
  expect(counters.size).toBe(COUNTERS);

  await client.close();
  expect(await activeResources()).toEqual(beforeClient);
  console.log(
    `soak: ${OPERATIONS.toLocaleString('en')} commands in ${seconds.toFixed(1)} s ` +
      `(${Math.round(OPERATIONS / seconds).toLocaleString('en')}/s), heap growth ${heapGrowth.toFixed(1)} MB`,
  );
});
