import type { Client } from '@memwire/core';
import { namespaceKeys } from '@memwire/keyv';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { WrapLock } from '../src/lock.js';
import { harness, sleep, slowly } from './helpers.js';

/** Caches standing for separate processes: each has its own client and its own in-process coalescing. */
const PROCESSES = 4;

const env = harness();
let server: MemcachedServer;
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  raw = env.client(server);
});
afterAll(() => env.cleanup());

describe('wrap, as cache-manager documents it', () => {
  test('concurrent callers in one process run the function once', async () => {
    const cache = env.cache(server, { namespace: 'coalesce' });
    const fn = slowly(() => 'value', 100);
    const results = await Promise.all(Array.from({ length: 5 }, () => cache.wrap('k', fn.run, 60_000)));
    expect(results).toEqual(['value', 'value', 'value', 'value', 'value']);
    expect(fn.calls).toBe(1);
    expect(await cache.wrap('k', fn.run, 60_000)).toBe('value');
    expect(fn.calls).toBe(1);
  });

  test('near expiry, the cached value is returned at once and refreshed in the background', async () => {
    const cache = env.cache(server, { namespace: 'refresh' });
    const refreshed: unknown[] = [];
    cache.on('refresh', ({ value }) => refreshed.push(value));
    const fn = slowly((call) => `v${call}`, 50);
    expect(await cache.wrap('k', fn.run, 4_000, 3_500)).toBe('v1');
    await sleep(700); // about 3.3 s left, under the 3.5 s threshold
    expect(await cache.wrap('k', fn.run, 4_000, 3_500)).toBe('v1');
    await vi.waitFor(() => expect(refreshed).toEqual(['v2']));
    expect(fn.calls).toBe(2);
    expect(await cache.get('k')).toBe('v2');
  });

  test('takes the options object, with ttl and refreshThreshold as functions of the value', async () => {
    const cache = env.cache(server, { namespace: 'options-object' });
    const before = Date.now();
    const first = await cache.wrap('k', () => ({ minutes: 2 }), {
      ttl: (value) => value.minutes * 60_000,
      refreshThreshold: () => 1_000,
      raw: true,
    });
    expect(first?.value).toEqual({ minutes: 2 });
    expect(first?.expires).toBeGreaterThanOrEqual(before + 120_000);
    const again = await cache.wrap('k', () => ({ minutes: 0 }), { raw: true });
    expect(again?.value).toEqual({ minutes: 2 });
    // Stored by Keyv a moment after the first call measured it.
    expect(Math.abs(again!.expires! - first!.expires!)).toBeLessThan(50);
  });

  test("the cache's default ttl applies when wrap is given none", async () => {
    const cache = env.cache(server, { namespace: 'default-ttl', ttl: 30_000 });
    const before = Date.now();
    await cache.wrap('k', () => 'v');
    expect(await cache.ttl('k')).toBeGreaterThanOrEqual(before + 30_000);
  });

  test('a failing function rejects the callers and caches nothing', async () => {
    const cache = env.cache(server, { namespace: 'failing-fn' });
    await expect(
      cache.wrap('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await cache.get('k')).toBeUndefined();
  });
});

/** memcached 1.6.18 speaks the meta protocol: 'auto' takes the lease path, 'classic' the add-lock. */
describe.each(['auto', 'classic'] as const)('the cross-process lock, protocol %s', (protocol) => {
  test('without it, processes missing the same key at once each run the function', async () => {
    const fn = slowly(() => 'value', 300);
    const caches = Array.from({ length: PROCESSES }, () =>
      env.cache(server, { namespace: `unlocked-${protocol}`, protocol }),
    );
    await Promise.all(caches.map((cache) => cache.wrap('k', fn.run, 60_000)));
    expect(fn.calls).toBe(PROCESSES);
  });

  test('with lock: true, processes missing the same key at once run the function once', async () => {
    const fn = slowly((call) => `value ${call}`, 300);
    const caches = Array.from({ length: PROCESSES }, () =>
      env.cache(server, { namespace: `locked-${protocol}`, lock: true, memory: true, protocol }),
    );
    const results = await Promise.all(caches.map((cache) => cache.wrap('k', fn.run, 60_000)));
    expect(fn.calls).toBe(1);
    expect(results).toEqual(Array.from({ length: PROCESSES }, () => 'value 1'));
    // The waiters filled their memory tiers with what the winner stored.
    for (const cache of caches) expect(await cache.stores[0]!.get('k')).toBe('value 1');
  });

  test('a background refresh runs once across processes', async () => {
    const fn = slowly((call) => `v${call}`, 200);
    const caches = Array.from({ length: PROCESSES }, () =>
      env.cache(server, {
        namespace: `refresh-locked-${protocol}`,
        lock: true,
        memory: true,
        refreshAllStores: true,
        protocol,
      }),
    );
    await caches[0]!.wrap('k', fn.run, 4_000, 3_500);
    await sleep(700);
    const results = await Promise.all(caches.map((cache) => cache.wrap('k', fn.run, 4_000, 3_500)));
    expect(results).toEqual(Array.from({ length: PROCESSES }, () => 'v1'));
    await vi.waitFor(async () => expect(await caches[3]!.stores[1]!.get('k')).toBe('v2'));
    await sleep(300); // time enough for a second refresh, were one to start
    expect(fn.calls).toBe(2);
  });

  test("when memcached is unreachable, wrap still returns the function's value", async () => {
    const doomed = await env.server();
    const cache = env.cache(doomed, {
      namespace: 'unreachable',
      protocol,
      lock: true,
      connectTimeout: 300,
      commandTimeout: 500,
    });
    await doomed.kill();
    expect(await cache.wrap('k', () => 'computed anyway', 60_000)).toBe('computed anyway');
  });
});

describe('the add-lock (classic servers)', () => {
  test('a process that takes a lock just released looks for the stored result before computing', async () => {
    const lock = new WrapLock(raw, (key) => namespaceKeys('relay').reserved('lock', key));
    let computed = 0;
    const result = await lock.run(
      'k',
      async () => {
        computed += 1;
        return 'computed';
      },
      async () => 'stored by the previous holder',
    );
    expect(result).toBe('stored by the previous holder');
    expect(computed).toBe(0);
    expect(await raw.get(namespaceKeys('relay').reserved('lock', 'k'))).toBeUndefined();
  });

  test('the lock is released when the function is done', async () => {
    const cache = env.cache(server, { namespace: 'released', protocol: 'classic', lock: true });
    await cache.wrap('k', () => 'v', 60_000);
    expect(await raw.get(namespaceKeys('released').reserved('lock', 'k'))).toBeUndefined();
  });

  test('a lock left by a process that died delays the others by its TTL at most', async () => {
    await raw.add(namespaceKeys('orphan').reserved('lock', 'k'), 'a dead process', { ttl: 1 });
    const cache = env.cache(server, {
      namespace: 'orphan',
      protocol: 'classic',
      lock: { ttl: 1_000, wait: 10_000 },
    });
    const fn = slowly(() => 'value', 0);
    const started = performance.now();
    expect(await cache.wrap('k', fn.run, 60_000)).toBe('value');
    expect(fn.calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  test('a waiter runs the function itself once `wait` has passed', async () => {
    await raw.add(namespaceKeys('impatient').reserved('lock', 'k'), 'a slow process', { ttl: 60 });
    const cache = env.cache(server, { namespace: 'impatient', protocol: 'classic', lock: { wait: 300 } });
    const started = performance.now();
    expect(await cache.wrap('k', () => 'mine', 60_000)).toBe('mine');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  test('a waiter does not delete the lock of another holder when it finally runs', async () => {
    const lockKey = namespaceKeys('foreign').reserved('lock', 'k');
    await raw.add(lockKey, 'someone else', { ttl: 60 });
    const cache = env.cache(server, { namespace: 'foreign', protocol: 'classic', lock: { wait: 100 } });
    await cache.wrap('k', () => 'v', 60_000);
    expect(await raw.get(lockKey)).toBe('someone else');
  });
});
