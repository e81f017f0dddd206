import type { Client } from '@memwire/core';
import { Keyv as Keyv5 } from 'keyv5';
import { Keyv as Keyv6 } from 'keyv6';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { KeyvMemwire, namespaceKeys, toWriteOptions } from '../src/index.js';
import { harness, sleep } from './helpers.js';

/**
 * What memcached itself does with the TTLs, read through the adapter or a raw client (Keyv checks its
 * own `expires` on top, which would hide a TTL the server never got). memcached's clock ticks once a
 * second, so an item sent with exptime 1 is gone after at most about 2 s.
 */
const AFTER_ONE_SECOND_TTL = 2_200;

const env = harness();
let server: MemcachedServer;
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  raw = env.client(server);
});
afterAll(() => env.cleanup());

describe('toWriteOptions', () => {
  test('milliseconds become seconds, fractions left for the core to round up', () => {
    expect(toWriteOptions(500)).toEqual({ ttl: 0.5 });
    expect(toWriteOptions(60_000)).toEqual({ ttl: 60 });
  });

  test('no TTL, 0 and Infinity mean never expire', () => {
    expect(toWriteOptions(undefined)).toEqual({ ttl: 0 });
    expect(toWriteOptions(0)).toEqual({ ttl: 0 });
    expect(toWriteOptions(Number.POSITIVE_INFINITY)).toEqual({ ttl: 0 });
  });
});

describe('TTLs on a real server', () => {
  test('500 ms expires within about a second, never "forever"; no TTL never expires, even on a client with a default TTL', async () => {
    const adapter = new KeyvMemwire(env.client(server, { ttl: 1 }), { namespace: 'ttl' });
    const viaKeyv6 = new Keyv6({ store: new KeyvMemwire(env.client(server)), namespace: 'ttl6' });
    await adapter.set('short', 'v', 500);
    await adapter.set('forever', 'v');
    await viaKeyv6.set('short', 'v', 500);
    expect(await adapter.get('short')).toBe('v');
    const generation6 = Number(await raw.get(namespaceKeys('ttl6').generation));
    const wire6 = namespaceKeys('ttl6').data(generation6, 'short');
    expect(await raw.get(wire6)).toBeDefined();

    await sleep(AFTER_ONE_SECOND_TTL);

    expect(await adapter.get('short')).toBeUndefined();
    expect(await raw.get(wire6)).toBeUndefined(); // keyv 6's absolute `expires` reached memcached
    expect(await adapter.get('forever')).toBe('v');
    // The namespace's generation counter is never given the client's default TTL either.
    expect(await raw.get(namespaceKeys('ttl').generation)).toBeDefined();
  });

  test('a TTL over 30 days is sent as an absolute time, so the value is stored, not expired at once', async () => {
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(server)), namespace: 'long' });
    const thirtyOneDays = 31 * 24 * 60 * 60 * 1000;
    expect(await keyv.set('k', 'v', thirtyOneDays)).toBe(true);
    // Read past Keyv (which would also check its own `expires`): memcached kept the item.
    expect(await (keyv.store as KeyvMemwire).get('long:k')).toBeDefined();
    expect(await keyv.get('k')).toBe('v');
  });

  test('a negative TTL expires at once', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'negative' });
    expect(await adapter.set('k', 'v', -1)).toBe(true);
    expect(await adapter.get('k')).toBeUndefined();
  });

  test('setMany gives each entry its own TTL', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'many-ttl' });
    expect(
      await adapter.setMany([
        { key: 'short', value: 's', ttl: 500 },
        { key: 'long', value: 'l', ttl: 60_000 },
        { key: 'none', value: 'n' },
      ]),
    ).toEqual([true, true, true]);
    await sleep(AFTER_ONE_SECOND_TTL);
    expect(await adapter.getMany(['short', 'long', 'none'])).toEqual([undefined, 'l', 'n']);
  });
});

describe('TTLs that end after 2038 (memcached keeps a 32-bit exptime)', () => {
  // 10^15 ms is about 31,700 years: sent as is, memcached would store it and expire it at once.
  const HUGE_MS = 1e15;

  test('a huge TTL keeps the value in memcached, through the adapter, Keyv 5 and Keyv 6', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'huge-ttl' });
    await adapter.set('direct', 'v', HUGE_MS);
    await adapter.setMany([{ key: 'many', value: 'v', ttl: HUGE_MS }]);
    const viaKeyv5 = new Keyv5({ store: new KeyvMemwire(env.client(server)), namespace: 'huge5' });
    const viaKeyv6 = new Keyv6({ store: new KeyvMemwire(env.client(server)), namespace: 'huge6' });
    await viaKeyv5.set('k', 'v5', HUGE_MS);
    await viaKeyv6.set('k', 'v6', Number.MAX_SAFE_INTEGER);
    // Read from memcached itself: Keyv's own `expires` check would hide a value the server dropped.
    const generation = Number(await raw.get(namespaceKeys('huge-ttl').generation));
    expect(await raw.get(namespaceKeys('huge-ttl').data(generation, 'direct'))).toBeDefined();
    expect(await raw.get(namespaceKeys('huge-ttl').data(generation, 'many'))).toBeDefined();
    expect(await viaKeyv5.get('k')).toBe('v5');
    expect(await viaKeyv6.get('k')).toBe('v6');
  });
});
