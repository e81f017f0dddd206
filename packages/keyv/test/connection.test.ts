import { Keyv, type KeyvStoreAdapter } from 'keyv';
import type { KeyvBridgeStore } from 'keyv6';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { createKeyv, KeyvMemwire, namespaceKeys } from '../src/index.js';
import { harness } from './helpers.js';

const env = harness();
let server: MemcachedServer;

beforeAll(async () => {
  server = await env.server();
});
afterAll(() => env.cleanup());

describe('new KeyvMemwire()', () => {
  test('takes a memcache:// URL', async () => {
    const adapter = new KeyvMemwire(`memcache://${server.address}`, { env: {}, namespace: 'url' });
    expect(await adapter.set('k', 'v')).toBe(true);
    expect(await adapter.get('k')).toBe('v');
    await adapter.disconnect();
  });

  test('takes client options', async () => {
    const adapter = env.adapter(server, { namespace: 'options', keyPrefix: 'app1:' });
    await adapter.set('k', 'v');
    const raw = env.client(server);
    const generation = Number(await raw.get(`app1:${namespaceKeys('options').generation}`));
    expect(await raw.get(`app1:${namespaceKeys('options').data(generation, 'k')}`)).toBe('v');
  });

  test('with nothing given, reads the environment as the core does', async () => {
    const saved = process.env['MEMCACHE_SERVERS'];
    process.env['MEMCACHE_SERVERS'] = server.address;
    try {
      const adapter = new KeyvMemwire();
      expect(adapter.client.servers).toEqual([server.address]);
      expect(await adapter.set('k', 'from env')).toBe(true);
      await adapter.disconnect();
    } finally {
      if (saved === undefined) delete process.env['MEMCACHE_SERVERS'];
      else process.env['MEMCACHE_SERVERS'] = saved;
    }
  });

  test('disconnect() closes a client the adapter created, not one passed in', async () => {
    const own = new KeyvMemwire({ env: {}, servers: server.address });
    await own.set('k', 'v');
    await own.disconnect();
    await expect(own.client.get('k')).rejects.toMatchObject({ code: 'ERR_MEMWIRE_CLOSED' });

    const client = env.client(server);
    const borrowed = new KeyvMemwire(client);
    await borrowed.disconnect();
    expect(await client.set('still', 'open')).toBe(true);
  });

  test('opts holds the adapter settings, never servers or credentials', () => {
    const adapter = env.adapter(server, { username: 'u', password: 'secret' });
    expect(JSON.stringify(adapter.opts)).not.toContain('secret');
    expect(JSON.stringify(adapter.opts)).not.toContain(String(server.port));
  });

  test("satisfies keyv 6's bridge store type and keyv 5's adapter type, every optional method included", () => {
    const adapter: KeyvBridgeStore = new KeyvMemwire(env.client(server));
    // keyv 5 types `setMany` as Promise<void>, yet returns what the adapter resolves from its own
    // `setMany`, typed boolean[]: the adapter resolves the booleans.
    const _keyv5: Omit<KeyvStoreAdapter, 'setMany'> = new KeyvMemwire(env.client(server));
    const methods = ['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany', 'has', 'hasMany', 'clear'];
    // keyv 6 bridges an adapter as a full one only if each of these is a native async function.
    for (const method of methods) {
      expect((adapter as unknown as Record<string, () => unknown>)[method]?.constructor.name).toBe(
        'AsyncFunction',
      );
    }
    expect('namespace' in adapter).toBe(true);
    expect('iterator' in adapter).toBe(false);
  });

  test('adapters on one client share what they know of a namespace', async () => {
    const client = env.client(server);
    const first = new KeyvMemwire(client, { namespace: 'sharing' });
    const second = new KeyvMemwire(client, { namespace: 'sharing' });
    await first.set('k', 'v');
    await second.clear();
    expect(await first.get('k')).toBeUndefined();
  });
});

describe('createKeyv()', () => {
  test("returns a ready Keyv whose keys carry the namespace once (Keyv's own prefix is off)", async () => {
    const keyv = createKeyv<{ name: string }>({ env: {}, servers: server.address, namespace: 'users' });
    await keyv.set('1', { name: 'Ada' });
    expect(await keyv.get('1')).toEqual({ name: 'Ada' });
    const raw = env.client(server);
    const generation = Number(await raw.get(namespaceKeys('users').generation));
    expect(await raw.get(namespaceKeys('users').data(generation, '1'))).toBeDefined();
    expect(await raw.get(namespaceKeys('users').data(generation, 'users:1'))).toBeUndefined();
    await keyv.disconnect();
  });

  test("uses Keyv's default namespace and passes its ttl, in milliseconds, to Keyv", async () => {
    const keyv = createKeyv({ env: {}, servers: server.address, ttl: 60_000 });
    expect(keyv.namespace).toBe('keyv');
    expect(keyv.ttl).toBe(60_000);
    await keyv.disconnect();
  });

  test('takes a URL', async () => {
    const keyv = createKeyv(`memcache://${server.address}`);
    expect(await keyv.set('k', 'v')).toBe(true);
    await keyv.disconnect();
  });

  test("its Keyv is the app's own `keyv` (5.6 in this repository)", async () => {
    const made = createKeyv({ env: {}, servers: server.address, namespace: 'same' });
    expect(made).toBeInstanceOf(Keyv);
    await made.disconnect();
  });
});
