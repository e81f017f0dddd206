import { ErrorCodes, MemwireError } from '@memwire/core';
import { Keyv as Keyv5 } from 'keyv5';
import { Keyv as Keyv6 } from 'keyv6';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MemcachedServer } from '../../../test/support/index.js';
import { freePort } from '../../../test/support/index.js';
import { KeyvMemwire, namespaceKeys } from '../src/index.js';
import { BOTH_KEYVS, harness } from './helpers.js';

const env = harness();
let server: MemcachedServer;

beforeAll(async () => {
  server = await env.server();
});
afterAll(() => env.cleanup());

/** Every `'error'` a Keyv instance emits. */
function errorsOf(keyv: { on(event: 'error', listener: (error: unknown) => void): unknown }): unknown[] {
  const errors: unknown[] = [];
  keyv.on('error', (error: unknown) => errors.push(error));
  return errors;
}

function codesOf(errors: unknown[]): string[] {
  return errors.map((error) => (error instanceof MemwireError ? error.code : String(error)));
}

describe('bad input', () => {
  test.each(BOTH_KEYVS)(
    'under %s an invalid key is an InvalidKeyError event, never a different key',
    async (_name, Keyv) => {
      const keyv = new Keyv({ store: new KeyvMemwire(env.client(server)), namespace: 'bad-keys' });
      const errors = errorsOf(keyv);
      expect(await keyv.set('has space', 1)).toBe(false);
      expect(await keyv.get('has space')).toBeUndefined();
      expect(await keyv.set('x'.repeat(300), 1)).toBe(false);
      expect(await keyv.set('line\r\nbreak', 1)).toBe(false);
      expect(codesOf(errors)).toEqual([
        ErrorCodes.INVALID_KEY,
        ErrorCodes.INVALID_KEY,
        ErrorCodes.INVALID_KEY,
        ErrorCodes.INVALID_KEY,
      ]);
    },
  );

  test('a value over maxValueSize is a ValueTooLargeError event and set resolves false; nothing is sent', async () => {
    const keyv = new Keyv5({
      store: new KeyvMemwire(env.client(server, { maxValueSize: 100 })),
      namespace: 'big',
    });
    const errors = errorsOf(keyv);
    expect(await keyv.set('k', 'x'.repeat(200))).toBe(false);
    expect(codesOf(errors)).toEqual([ErrorCodes.VALUE_TOO_LARGE]);
    expect(await keyv.get('k')).toBeUndefined();
  });

  test('long keys are hashed only when the client is told to (hashLongKeys)', async () => {
    const keyv = new Keyv5({
      store: new KeyvMemwire(env.client(server, { hashLongKeys: true })),
      namespace: 'hashed',
    });
    const long = 'k'.repeat(300);
    expect(await keyv.set(long, 'v')).toBe(true);
    expect(await keyv.get(long)).toBe('v');
    expect(await keyv.get(`${long}x`)).toBeUndefined();
  });

  test('a generation counter holding something else than a number is a CodecError event, and reads miss', async () => {
    const raw = env.client(server);
    await raw.set(namespaceKeys('corrupt').generation, 'not a number');
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(server)), namespace: 'corrupt' });
    const errors = errorsOf(keyv);
    expect(await keyv.get('k')).toBeUndefined();
    expect(codesOf(errors)).toEqual([ErrorCodes.CODEC]);
  });
});

describe('when nobody listens', () => {
  test('keyv 5 resolves a miss and false, and nothing throws', async () => {
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(server)), namespace: 'unheard' });
    expect(await keyv.get('bad key')).toBeUndefined();
    expect(await keyv.set('bad key', 1)).toBe(false);
    expect(await keyv.has('bad key')).toBe(false);
  });

  test("keyv 6 rejects the call, its own rule for an 'error' nobody listens to (the process never crashes)", async () => {
    const keyv = new Keyv6({ store: new KeyvMemwire(env.client(server)), namespace: 'unheard6' });
    await expect(keyv.get('bad key')).rejects.toMatchObject({ code: ErrorCodes.INVALID_KEY });
    await expect(keyv.set('bad key', 1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_KEY });
  });

  test('the adapter alone resolves a miss and false', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'alone' });
    expect(await adapter.get('bad key')).toBeUndefined();
    expect(await adapter.set('bad key', 1)).toBe(false);
    expect(await adapter.delete('bad key')).toBe(false);
    await adapter.clear();
  });
});

describe('events', () => {
  test.each(BOTH_KEYVS)("under %s each failure reaches Keyv's listeners once", async (_name, Keyv) => {
    const keyv = new Keyv({ store: new KeyvMemwire(env.client(server)), namespace: 'once' });
    const errors = errorsOf(keyv);
    await keyv.get('bad key');
    await keyv.get(['ok', 'bad key']);
    await keyv.delete('bad key');
    expect(errors).toHaveLength(3);
  });

  test('throwOnErrors rethrows after emitting, once', async () => {
    const adapter = new KeyvMemwire(env.client(server), { namespace: 'throwing', throwOnErrors: true });
    const errors = errorsOf(adapter);
    await expect(adapter.get('bad key')).rejects.toMatchObject({ code: ErrorCodes.INVALID_KEY });
    expect(errors).toHaveLength(1);
  });

  test('throwOnErrors rethrows a failure of one key among many, reported once', async () => {
    // The client lets 2 MiB through; memcached's own 1 MiB item limit refuses that one key.
    const adapter = new KeyvMemwire(env.client(server, { maxValueSize: 4 * 1024 * 1024 }), {
      namespace: 'throwing-many',
      throwOnErrors: true,
    });
    const errors = errorsOf(adapter);
    await expect(
      adapter.setMany([
        { key: 'small', value: 'ok' },
        { key: 'big', value: 'x'.repeat(2 * 1024 * 1024) },
      ]),
    ).rejects.toMatchObject({ code: ErrorCodes.ITEM_TOO_LARGE });
    expect(errors).toHaveLength(1);
    expect(await adapter.get('small')).toBe('ok');
  });
});

describe('a dead server', () => {
  const patient = { connectTimeout: 500, commandTimeout: 1_000, retryDelay: 60_000 };

  test('reads as a miss and writes resolve false, without hanging; once marked down, reads miss silently', async () => {
    const doomed = await env.server();
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(doomed, patient)), namespace: 'dead' });
    const errors = errorsOf(keyv);
    await keyv.set('k', 'v');
    expect(await keyv.get('k')).toBe('v');

    await doomed.kill();

    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.set('k', 'w')).toBe(false);
    expect(codesOf(errors).every((code) => code === ErrorCodes.CONNECTION)).toBe(true);
    const reported = errors.length;
    expect(reported).toBeGreaterThan(0);
    // failureThreshold (2) reached: the server is marked down, and a down server's reads are misses.
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.get(['k', 'l'])).toEqual([undefined, undefined]);
    expect(errors).toHaveLength(reported);
  });

  test('a server that never answered: reads miss, writes are false, and the error says why', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const keyv = new Keyv5({ store: new KeyvMemwire(env.client(nobody, patient)), namespace: 'nobody' });
    const errors = errorsOf(keyv);
    expect(await keyv.get('k')).toBeUndefined();
    expect(await keyv.set('k', 'v')).toBe(false);
    expect(codesOf(errors)[0]).toBe(ErrorCodes.CONNECTION);
  });
});
