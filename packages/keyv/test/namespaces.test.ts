import type { Client } from '@memwire/core';
import { Keyv as Keyv5 } from 'keyv5';
import { Keyv as Keyv6 } from 'keyv6';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { KeyvMemwire, namespaceKeys } from '../src/index.js';
import { commandsDuring, harness } from './helpers.js';

const env = harness();
let server: MemcachedServer;
/** A second client stands for another process: it has its own view of the generations. */
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  raw = env.client(server);
});
afterAll(() => env.cleanup());

/** The generation memcached holds for `namespace` now. */
async function generationOf(namespace: string): Promise<number> {
  return Number(await raw.get(namespaceKeys(namespace).generation));
}

describe('clear()', () => {
  test('clearing one namespace leaves another namespace on the same server whole', async () => {
    const client = env.client(server);
    const orders = new Keyv5({ store: new KeyvMemwire(client), namespace: 'orders' });
    const users = new Keyv5({ store: new KeyvMemwire(client), namespace: 'users' });
    await orders.set('1', 'order one');
    await users.set('1', 'user one');
    await users.set('2', 'user two');

    await orders.clear();

    expect(await orders.get('1')).toBeUndefined();
    expect(await users.get('1')).toBe('user one');
    expect(await users.get('2')).toBe('user two');
  });

  test('never sends flush_all, and keys written by other clients survive it', async () => {
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(server)), namespace: 'flushless' });
    await raw.set('another-app:setting', 'kept');
    await keyv.set('a', 1);
    const commands = await commandsDuring(() => keyv.clear());
    expect(commands.map(({ command }) => command)).toEqual(['incr']);
    expect(await raw.get('another-app:setting')).toBe('kept');
  });

  test('one incr moves the namespace to its next generation', async () => {
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(server)), namespace: 'counted' });
    await keyv.set('a', 1);
    const before = await generationOf('counted');
    await keyv.clear();
    expect(await generationOf('counted')).toBe(before + 1);
  });

  test("another process's clear() is seen by this process's next read", async () => {
    const here = new KeyvMemwire(env.client(server), { namespace: 'shared-read' });
    const there = new KeyvMemwire(env.client(server), { namespace: 'shared-read' });
    await here.set('k', 'v');
    expect(await here.get('k')).toBe('v');
    await there.clear();
    expect(await here.get('k')).toBeUndefined();
  });

  test("a write after another process's clear() lands where every process reads", async () => {
    const here = new KeyvMemwire(env.client(server), { namespace: 'shared-write' });
    const there = new KeyvMemwire(env.client(server), { namespace: 'shared-write' });
    await here.set('warm', 'up'); // `here` now knows the generation
    await there.clear();
    expect(await here.set('k', 'after clear')).toBe(true);
    expect(await there.get('k')).toBe('after clear');
  });

  test("a delete after another process's clear() deletes the live value", async () => {
    const here = new KeyvMemwire(env.client(server), { namespace: 'shared-delete' });
    const there = new KeyvMemwire(env.client(server), { namespace: 'shared-delete' });
    await here.set('warm', 'up');
    await there.clear();
    await there.set('k', 'live');
    expect(await here.delete('k')).toBe(true);
    expect(await there.get('k')).toBeUndefined();
  });

  test('a lost generation counter (evicted, server restarted) starts a fresh one: old values never return', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'lost' });
    await adapter.set('k', 'old');
    const old = await generationOf('lost');
    await raw.delete(namespaceKeys('lost').generation);

    expect(await adapter.get('k')).toBeUndefined();
    const fresh = await generationOf('lost');
    // A fresh counter starts at a random value (core GenerationCounter): different, not greater.
    expect(fresh).not.toBe(old);
    expect(await new KeyvMemwire(env.client(server), { namespace: 'lost' }).get('k')).toBeUndefined();
  });

  test('a counter lost and made again within the same millisecond still never repeats a generation', async () => {
    const frozen = vi.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    try {
      const adapter = new KeyvMemwire(env.client(server), { namespace: 'same-millisecond' });
      await adapter.set('k', 'old');
      await raw.delete(namespaceKeys('same-millisecond').generation);
      await adapter.clear();
      expect(await adapter.get('k')).toBeUndefined();
      await raw.delete(namespaceKeys('same-millisecond').generation);
      expect(await adapter.get('k')).toBeUndefined();
    } finally {
      frozen.mockRestore();
    }
  });

  test('clear() on a namespace whose counter is gone starts a fresh generation', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'lost-then-cleared' });
    await adapter.set('k', 'old');
    await raw.delete(namespaceKeys('lost-then-cleared').generation);
    await adapter.clear();
    expect(await adapter.get('k')).toBeUndefined();
    expect(await generationOf('lost-then-cleared')).toBeGreaterThan(0);
  });
});

describe('keys', () => {
  test('a data key is the namespace, the generation in base 36, then the key', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'layout' });
    await adapter.set('user:1', 'Ada');
    const generation = await generationOf('layout');
    expect(await raw.get(`layout:${generation.toString(36)}:user:1`)).toBe('Ada');
  });

  test("namespaces holding ':' or '%' never meet another namespace's keys", async () => {
    const client = env.client(server);
    const a = new KeyvMemwire(client, { namespace: 'a' });
    const ab = new KeyvMemwire(client, { namespace: 'a:b' });
    const percent = new KeyvMemwire(client, { namespace: 'a%3Ab' });
    await a.set('b:c', 'from a');
    await ab.set('c', 'from a:b');
    await percent.set('c', 'from a%3Ab');
    expect(await a.get('b:c')).toBe('from a');
    expect(await ab.get('c')).toBe('from a:b');
    expect(await percent.get('c')).toBe('from a%3Ab');
    await ab.clear();
    expect(await a.get('b:c')).toBe('from a');
    expect(await percent.get('c')).toBe('from a%3Ab');
  });

  test('under keyv 6 the bridge leaves the namespace to the adapter: no second prefix', async () => {
    const keyv = new Keyv6({ store: new KeyvMemwire(env.client(server)), namespace: 'six' });
    await keyv.set('k', 'v');
    const generation = await generationOf('six');
    const stored = await raw.get(`six:${generation.toString(36)}:k`);
    expect(typeof stored).toBe('string');
    await keyv.clear();
    expect(await keyv.get('k')).toBeUndefined();
  });

  test("under keyv 5 with its default settings, Keyv's own prefix follows the generation", async () => {
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(server)) });
    await keyv.set('k', 'v');
    const generation = await generationOf('keyv');
    expect(typeof (await raw.get(`keyv:${generation.toString(36)}:keyv:k`))).toBe('string');
  });
});
