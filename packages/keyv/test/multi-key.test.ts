import { Keyv as Keyv5 } from 'keyv5';
import { Keyv as Keyv6 } from 'keyv6';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { KeyvMemwire } from '../src/index.js';
import { type AnyKeyv, BOTH_KEYVS, commandsDuring, harness, type KeyvClass } from './helpers.js';

/**
 * Keyv's batch calls reach memcached as the core's multi-key commands (one line or one pipelined
 * write per server), never as a loop of single-key commands. The generation check rides along as
 * one `get`.
 */
const env = harness();
let server: MemcachedServer;

beforeAll(async () => {
  server = await env.server();
});
afterAll(() => env.cleanup());

async function warm(Keyv: KeyvClass, namespace: string): Promise<AnyKeyv> {
  const keyv = new Keyv({ store: new KeyvMemwire(env.client(server)), namespace });
  await keyv.set('warm', 'up'); // the generation is known from here on
  return keyv;
}

describe.each(BOTH_KEYVS)('under %s', (_name, Keyv) => {
  const makeKeyv = (namespace: string) => warm(Keyv, namespace);
  test('getMany is one multi-key get', async () => {
    const keyv = await makeKeyv(`get-many-${slug(_name)}`);
    await keyv.set('a', 1);
    await keyv.set('c', 3);
    let values: unknown;
    const commands = await commandsDuring(async () => {
      values = await keyv.get(['a', 'b', 'c']);
    });
    expect(values).toEqual([1, undefined, 3]);
    expect(commands).toEqual([
      { command: 'get', keys: 1 },
      { command: 'getManySettled', keys: 3 },
    ]);
  });

  test('setMany is one multi-key write', async () => {
    const keyv = await makeKeyv(`set-many-${slug(_name)}`);
    const commands = await commandsDuring(() =>
      keyv.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]),
    );
    expect(commands).toEqual([
      { command: 'get', keys: 1 },
      { command: 'setMany', keys: 2 },
    ]);
    expect(await keyv.get(['a', 'b'])).toEqual([1, 2]);
  });

  test('deleteMany is one multi-key delete', async () => {
    const keyv = await makeKeyv(`delete-many-${slug(_name)}`);
    await keyv.set('a', 1);
    await keyv.set('b', 2);
    const commands = await commandsDuring(() => keyv.delete(['a', 'b']));
    expect(commands).toEqual([
      { command: 'get', keys: 1 },
      { command: 'deleteMany', keys: 2 },
    ]);
    expect(await keyv.get(['a', 'b'])).toEqual([undefined, undefined]);
  });

  test('hasMany is one multi-key get', async () => {
    const keyv = await makeKeyv(`has-many-${slug(_name)}`);
    await keyv.set('a', 1);
    let found: unknown;
    const commands = await commandsDuring(async () => {
      found = await keyv.hasMany(['a', 'b']);
    });
    expect(found).toEqual([true, false]);
    expect(commands).toEqual([
      { command: 'get', keys: 1 },
      { command: 'getManySettled', keys: 2 },
    ]);
  });
});

describe('results', () => {
  test('deleteMany resolves true only when every key existed (keyv 5)', async () => {
    const keyv = await warm(Keyv5 as unknown as KeyvClass, 'delete-results-5');
    await keyv.set('a', 1);
    expect(await keyv.delete(['a', 'missing'])).toBe(false);
    await keyv.set('a', 1);
    await keyv.set('b', 2);
    expect(await keyv.delete(['a', 'b'])).toBe(true);
  });

  test("deleteMany resolves one boolean per key under keyv 6 (from the adapter's single answer)", async () => {
    const keyv = new Keyv6({ store: new KeyvMemwire(env.client(server)), namespace: 'delete-results-6' });
    await keyv.set('a', 1);
    await keyv.set('b', 2);
    expect(await keyv.deleteMany(['a', 'b'])).toEqual([true, true]);
    expect(await keyv.deleteMany(['a', 'b'])).toEqual([false, false]);
  });

  test('the adapter answers an empty batch without a round trip', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'empty' });
    const commands = await commandsDuring(async () => {
      expect(await adapter.getMany([])).toEqual([]);
      expect(await adapter.setMany([])).toEqual([]);
      expect(await adapter.deleteMany([])).toBe(true);
      expect(await adapter.hasMany([])).toEqual([]);
    });
    expect(commands).toEqual([]);
  });

  test('a key asked twice in one getMany gets its value twice', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'twice' });
    await adapter.set('a', 'A');
    expect(await adapter.getMany(['a', 'a', 'b'])).toEqual(['A', 'A', undefined]);
  });
});

function slug(name: string): string {
  return name.replaceAll(' ', '');
}
