import type { Client } from '@memwire/core';
import { namespaceKeys } from '@memwire/keyv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemoryTier } from '../src/index.js';
import { harness, sleep } from './helpers.js';

const env = harness();
let server: MemcachedServer;
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  raw = env.client(server);
});
afterAll(() => env.cleanup());

describe('createMemwireCache', () => {
  test('get, set, del, mget, mset and mdel round-trip through memcached', async () => {
    const cache = env.cache(server, { namespace: 'basics' });
    expect(await cache.set('a', { n: 1 })).toEqual({ n: 1 });
    expect(await cache.get('a')).toEqual({ n: 1 });
    await cache.mset<unknown>([
      { key: 'b', value: 'B' },
      { key: 'c', value: [1, 2] },
    ]);
    expect(await cache.mget(['a', 'b', 'c', 'missing'])).toEqual([{ n: 1 }, 'B', [1, 2], undefined]);
    expect(await cache.del('a')).toBe(true);
    expect(await cache.mdel(['b', 'c'])).toBe(true);
    expect(await cache.mget(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined]);
  });

  test('every key lives under the namespace in memcached', async () => {
    const cache = env.cache(server, { namespace: 'placed' });
    await cache.set('k', 'v');
    const generation = Number(await raw.get(namespaceKeys('placed').generation));
    expect(await raw.get(namespaceKeys('placed').data(generation, 'k'))).toEqual(expect.any(String));
  });

  test('ttl(key) is the absolute expiry in ms, read from the entry', async () => {
    const cache = env.cache(server, { namespace: 'ttl', ttl: 60_000 });
    const before = Date.now();
    await cache.set('k', 'v');
    const expires = await cache.ttl('k');
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
    await cache.set('never', 'v', 0);
    expect(await cache.ttl('never')).toBeUndefined();
  });

  test('a TTL in ms expires in memcached too, not only in Keyv', async () => {
    const cache = env.cache(server, { namespace: 'expiring' });
    await cache.set('k', 'v', 500);
    const generation = Number(await raw.get(namespaceKeys('expiring').generation));
    await sleep(2_200);
    expect(await raw.get(namespaceKeys('expiring').data(generation, 'k'))).toBeUndefined();
  });

  test('clear() clears its namespace and leaves other namespaces and apps alone', async () => {
    const orders = env.cache(server, { namespace: 'orders' });
    const users = env.cache(server, { namespace: 'users' });
    await raw.set('someone-else', 'kept');
    await orders.set('1', 'order');
    await users.set('1', 'user');
    expect(await orders.clear()).toBe(true);
    expect(await orders.get('1')).toBeUndefined();
    expect(await users.get('1')).toBe('user');
    expect(await raw.get('someone-else')).toBe('kept');
  });

  test("memcached failures are misses, reported on the memcached store's 'error' event", async () => {
    const cache = env.cache(server, { namespace: 'failing' });
    const errors: unknown[] = [];
    cache.stores.at(-1)!.on('error', (error: unknown) => errors.push(error));
    expect(await cache.get('bad key')).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_MEMWIRE_INVALID_KEY' })]);
  });
});

describe('the memory tier', () => {
  test('a set writes both tiers; the memory tier keeps the exact TTL in ms', async () => {
    const cache = env.cache(server, { namespace: 'tiers', memory: true });
    expect(cache.stores).toHaveLength(2);
    await cache.set('k', 'v', 300);
    expect(await cache.stores[0]!.get('k')).toBe('v');
    expect(await cache.stores[1]!.get('k')).toBe('v');
    await sleep(400);
    expect(await cache.stores[0]!.get('k')).toBeUndefined();
    expect(await cache.get('k')).toBeUndefined();
  });

  test('a value found only in memcached fills the memory tier for the time it has left, not a full TTL', async () => {
    const writer = env.cache(server, { namespace: 'backfill' });
    const reader = env.cache(server, { namespace: 'backfill', memory: true });
    await writer.set('k', 'v', 3_000);
    await sleep(1_000);
    let calls = 0;
    const value = await reader.wrap(
      'k',
      () => {
        calls += 1;
        return 'recomputed';
      },
      3_000,
    );
    expect(value).toBe('v');
    expect(calls).toBe(0);
    const inMemory = await reader.stores[0]!.get<string>('k', { raw: true });
    const inMemcached = await reader.stores[1]!.get<string>('k', { raw: true });
    expect(inMemory?.value).toBe('v');
    expect(Math.abs(inMemory!.expires! - inMemcached!.expires!)).toBeLessThan(100);
  });

  test('memory.ttl caps how long the memory tier keeps an entry; memcached keeps its own TTL', async () => {
    const cache = env.cache(server, { namespace: 'capped', memory: { ttl: 200 } });
    await cache.set('k', 'v', 60_000);
    await sleep(300);
    expect(await cache.stores[0]!.get('k')).toBeUndefined();
    expect(await cache.get('k')).toBe('v');
  });

  test('the memory tier drops the least recently used entry beyond max', () => {
    const tier = new MemoryTier({ max: 2 });
    tier.set('a', 1);
    tier.set('b', 2);
    tier.get('a');
    tier.set('c', 3);
    expect([tier.has('a'), tier.has('b'), tier.has('c')]).toEqual([true, false, true]);
    expect(tier.size).toBe(2);
  });

  test('the memory tier refuses nonsensical limits', () => {
    expect(() => new MemoryTier({ max: 0 })).toThrow(RangeError);
    expect(() => new MemoryTier({ ttl: -1 })).toThrow(RangeError);
  });

  test('a negative TTL expires at once in the memory tier; none keeps the entry', () => {
    const tier = new MemoryTier();
    tier.set('gone', 1, -1);
    tier.set('kept', 1);
    expect(tier.get('gone')).toBeUndefined();
    expect(tier.get('kept')).toBe(1);
  });
});
