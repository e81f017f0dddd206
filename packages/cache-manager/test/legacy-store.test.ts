import type { Client } from '@memwire/core';
import { namespaceKeys } from '@memwire/keyv';
import { caching, createCache, type Store } from 'cache-manager5';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, type MemcachedServer } from '../../../test/support/index.js';
import { type MemwireStore, memwireStore, TTL_UNKNOWN } from '../src/index.js';
import { harness, sleep, slowly } from './helpers.js';

/** cache-manager 5.7 (installed as `cache-manager5`), as @nestjs/cache-manager 2 (Nest 9/10) drives it. */
const env = harness();
let server: MemcachedServer;
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  raw = env.client(server);
});
afterAll(() => env.cleanup());

function store(options: Parameters<typeof memwireStore>[0] = {}): MemwireStore {
  return env.track(memwireStore({ env: {}, servers: server.address, ...options }));
}

describe('memwireStore under cache-manager 5', () => {
  test('caching() takes it as a factory with its config, as Nest passes it', async () => {
    const cache = await caching((config) => env.track(memwireStore(config)), {
      env: {},
      servers: server.address,
      namespace: 'factory',
      ttl: 60_000,
      store: 'ignored by the store',
      isGlobal: true,
    });
    await cache.set('k', { n: 1 });
    expect(await cache.get('k')).toEqual({ n: 1 });
    expect(cache.store.name).toBe('memwire');
  });

  test('caching(memwireStore, config) type-checks and works as written in the README', async () => {
    const cache = await caching(memwireStore, {
      env: {},
      servers: server.address,
      namespace: 'direct',
      ttl: 1_000,
    });
    env.track(cache.store);
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
  });

  test('is a cache-manager 5 Store: get, set, del, mset, mget, mdel', async () => {
    const memwire: Store = store({ namespace: 'contract' });
    const cache = createCache(memwire);
    await cache.set('a', 'A');
    expect(await cache.get('a')).toBe('A');
    await memwire.mset([
      ['b', 2],
      ['c', [3]],
    ]);
    expect(await memwire.mget('a', 'b', 'c', 'd')).toEqual(['A', 2, [3], undefined]);
    await memwire.mdel('a', 'b');
    expect(await memwire.mget('a', 'b', 'c')).toEqual([undefined, undefined, [3]]);
    await cache.del('c');
    expect(await cache.get('c')).toBeUndefined();
  });

  test('stores values as @memwire/core does, so a core client reads them as they are', async () => {
    const memwire = store({ namespace: 'interop' });
    await memwire.set('user', { name: 'Ada' });
    const generation = Number(await raw.get(namespaceKeys('interop').generation));
    expect(await raw.get(namespaceKeys('interop').data(generation, 'user'))).toEqual({ name: 'Ada' });
  });

  test('TTLs are milliseconds: 500 ms expires within about a second; the default ttl applies', async () => {
    const memwire = store({ namespace: 'ttl', ttl: 500 });
    await memwire.set('default', 'v');
    await memwire.set('long', 'v', 60_000);
    await memwire.mset([['many', 'v']], 500);
    await sleep(2_200);
    expect(await memwire.mget('default', 'long', 'many')).toEqual([undefined, 'v', undefined]);
  });

  test('reset() clears its namespace only', async () => {
    const mine = createCache(store({ namespace: 'mine' }));
    const theirs = createCache(store({ namespace: 'theirs' }));
    await raw.set('another-app', 'kept');
    await mine.set('k', 'mine');
    await theirs.set('k', 'theirs');
    await mine.reset();
    expect(await mine.get('k')).toBeUndefined();
    expect(await theirs.get('k')).toBe('theirs');
    expect(await raw.get('another-app')).toBe('kept');
  });

  test('wrap runs the function once for concurrent callers, then serves the cached value', async () => {
    const cache = createCache(store({ namespace: 'wrap' }));
    const fn = slowly(() => ({ report: true }), 100);
    const results = await Promise.all([cache.wrap('k', fn.run), cache.wrap('k', fn.run)]);
    expect(results).toEqual([{ report: true }, { report: true }]);
    expect(await cache.wrap('k', fn.run)).toEqual({ report: true });
    expect(fn.calls).toBe(1);
  });

  test('without the meta protocol ttl() is TTL_UNKNOWN (-1), so wrap never refreshes in the background', async () => {
    const memwire = store({ namespace: 'ttl-unknown', protocol: 'classic' });
    const cache = createCache(memwire, { refreshThreshold: 60_000 });
    await cache.set('k', 'v', 1_000);
    expect(await memwire.ttl('k')).toBe(TTL_UNKNOWN);
    const fn = slowly(() => 'refreshed', 0);
    expect(await cache.wrap('k', fn.run, 1_000)).toBe('v');
    await sleep(50);
    expect(fn.calls).toBe(0);
  });

  test('keys() rejects with ERR_MEMWIRE_UNSUPPORTED: memcached cannot list keys', async () => {
    await expect(store().keys()).rejects.toMatchObject({ code: 'ERR_MEMWIRE_UNSUPPORTED' });
  });

  test('a value that is not cacheable (undefined by default) is refused', async () => {
    const memwire = store({ namespace: 'cacheable' });
    await expect(memwire.set('k', undefined)).rejects.toMatchObject({ code: 'ERR_MEMWIRE_INVALID_VALUE' });
    const picky = store({ namespace: 'cacheable', isCacheable: (value) => value !== null });
    await expect(picky.set('k', null)).rejects.toMatchObject({ code: 'ERR_MEMWIRE_INVALID_VALUE' });
    expect(picky.isCacheable('fine')).toBe(true);
  });

  test("failures reject with the core's typed errors, as cache-manager 5 expects of a store", async () => {
    const memwire = store({ namespace: 'failures' });
    await expect(memwire.get('bad key')).rejects.toMatchObject({ code: 'ERR_MEMWIRE_INVALID_KEY' });
    await expect(memwire.set('bad key', 1)).rejects.toMatchObject({ code: 'ERR_MEMWIRE_INVALID_KEY' });
    const nowhere = env.track(
      memwireStore({
        env: {},
        servers: `127.0.0.1:${await freePort()}`,
        connectTimeout: 300,
        commandTimeout: 500,
      }),
    );
    await expect(nowhere.set('k', 1)).rejects.toMatchObject({ code: 'ERR_MEMWIRE_CONNECTION' });
  });

  test("wrap still answers when memcached fails: cache-manager reports it on its 'error' event", async () => {
    const nowhere = env.track(
      memwireStore({
        env: {},
        servers: `127.0.0.1:${await freePort()}`,
        connectTimeout: 300,
        commandTimeout: 500,
      }),
    );
    const cache = createCache(nowhere);
    const errors: unknown[] = [];
    cache.on('error', (event) => errors.push(event.operation));
    expect(await cache.wrap('k', () => Promise.resolve('computed'))).toBe('computed');
    expect(errors).toEqual(['get', 'set']);
  });
});
