import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { AddLock, rawCodec } from '../src/index.js';
import { sleep, uniqueKey, useClients } from './client/helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await server.stop();
});

const clients = useClients();

describe.each([
  ['the default codec', undefined],
  ['the raw codec', rawCodec],
] as const)('AddLock with %s', (_name, codec) => {
  const client = () => clients({ servers: server.address, env: {}, ...(codec ? { codec } : {}) });

  test('one of two holders asking at once gets the lock, the other false', async () => {
    const lock = new AddLock(client());
    const key = uniqueKey('lock');
    const [a, b] = await Promise.all([lock.acquire(key, 30), lock.acquire(key, 30)]);
    expect([a, b].filter((token) => token !== false)).toHaveLength(1);
  });

  test('release frees the lock for the next holder', async () => {
    const lock = new AddLock(client());
    const key = uniqueKey('lock');
    const token = await lock.acquire(key, 30);
    expect(token).not.toBe(false);
    expect(await lock.release(key, token as string)).toBe(true);
    expect(await lock.acquire(key, 30)).not.toBe(false);
  });

  test('a holder whose lock expired and was taken by another does not release the new holder’s lock', async () => {
    const lock = new AddLock(client());
    const key = uniqueKey('lock');
    const a = (await lock.acquire(key, 1)) as string;
    let b: string | false = false;
    // memcached counts whole seconds: the lock is gone within two.
    for (let i = 0; i < 40 && b === false; i++) {
      await sleep(100);
      b = await lock.acquire(key, 30);
    }
    expect(b).not.toBe(false);
    expect(await lock.release(key, a)).toBe(false);
    expect(await lock.extend(key, a, 60)).toBe(false);
    expect(await lock.acquire(key, 30)).toBe(false);
    expect(await lock.release(key, b as string)).toBe(true);
  });

  test('extend keeps only its own lock alive', async () => {
    const lock = new AddLock(client());
    const key = uniqueKey('lock');
    const token = (await lock.acquire(key, 1)) as string;
    expect(await lock.extend(key, token, 60)).toBe(true);
    await sleep(2100);
    expect(await lock.acquire(key, 30)).toBe(false);
  });
});
