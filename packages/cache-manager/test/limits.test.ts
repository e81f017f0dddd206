import type { Client } from '@memwire/core';
import { namespaceKeys } from '@memwire/keyv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { memwireStore } from '../src/index.js';
import { harness } from './helpers.js';

const env = harness();
let server: MemcachedServer;
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  raw = env.client(server);
});
afterAll(() => env.cleanup());

/** The value memcached itself holds for `key` of `namespace` (no cache-manager expiry check on top). */
async function stored(namespace: string, key: string): Promise<unknown> {
  const generation = Number(await raw.get(namespaceKeys(namespace).generation));
  return raw.get(namespaceKeys(namespace).data(generation, key));
}

describe('TTLs that end after 2038 (memcached keeps a 32-bit exptime)', () => {
  const HUGE_MS = 1e15;

  test('createMemwireCache keeps a value set with a huge TTL', async () => {
    const cache = env.cache(server, { namespace: 'huge-cm7' });
    await cache.set('k', 'v', HUGE_MS);
    expect(await stored('huge-cm7', 'k')).toBeDefined();
    expect(await cache.get('k')).toBe('v');
  });

  test('the legacy cache-manager 5 store keeps a value set with a huge TTL', async () => {
    const store = env.track(memwireStore({ env: {}, servers: server.address, namespace: 'huge-cm5' }));
    await store.set('k', 'v', HUGE_MS);
    await store.mset([['m', 'v']], HUGE_MS);
    expect(await stored('huge-cm5', 'k')).toBeDefined();
    expect(await stored('huge-cm5', 'm')).toBeDefined();
  });
});

describe('the legacy store refusing a value', () => {
  test('says the type and size of a value it will not cache, never the value itself', async () => {
    const store = env.track(
      memwireStore({
        env: {},
        servers: server.address,
        namespace: 'picky',
        isCacheable: (value) => typeof value !== 'string' && !Buffer.isBuffer(value),
      }),
    );
    const secret = 'session-token-8f2c1d';
    const error = await store.set('k', secret).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_MEMWIRE_INVALID_VALUE' });
    expect((error as Error).message).toContain('string of 20 characters');
    expect((error as Error).message).not.toContain(secret);
    const bytes = await store.set('k', Buffer.from(secret)).catch((e: unknown) => e);
    expect((bytes as Error).message).toContain('Buffer of 20 bytes');
    expect((bytes as Error).message).not.toContain(secret);
  });
});
