import { describe, expect, test } from 'vitest';
import { AddLock } from '../../src/index.js';
import { sleep, uniqueKey } from '../client/helpers.js';
import { CODECS, useMemcached } from './helpers.js';

const clientWith = useMemcached();

describe.each(CODECS)('AddLock with %s', (_name, codec) => {
  const client = () => clientWith(codec);

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

describe('AddLock.awaitRelease', () => {
  const client = () => clientWith();
  const polling = { wait: 5000, interval: 20 };

  /** A lock someone else holds, or held and let go of (as a holder that finished leaves it). */
  async function othersLock(state: 'held' | 'released') {
    const lock = new AddLock(client());
    const key = uniqueKey('lock');
    const token = (await lock.acquire(key, 30)) as string;
    if (state === 'released') await lock.release(key, token);
    return { lock, key };
  }

  test('resolves with what check finds while the lock is held', async () => {
    const { lock, key } = await othersLock('held');
    let looks = 0;
    const waited = await lock.awaitRelease(key, async () => (++looks >= 3 ? 'stored' : undefined), polling);
    expect(waited).toEqual({ status: 'found', value: 'stored' });
  });

  test('resolves released when the lock is gone and one last look finds nothing', async () => {
    const { lock, key } = await othersLock('released');
    let looks = 0;
    const waited = await lock.awaitRelease(
      key,
      async () => {
        looks += 1;
        return undefined;
      },
      polling,
    );
    expect(waited).toEqual({ status: 'released' });
    expect(looks).toBe(2);
  });

  test('the last look after the lock is gone can still find the result (the two reads crossed the holder)', async () => {
    const { lock, key } = await othersLock('released');
    let looks = 0;
    const waited = await lock.awaitRelease(key, async () => (++looks === 2 ? 'stored' : undefined), polling);
    expect(waited).toEqual({ status: 'found', value: 'stored' });
  });

  test('resolves timeout when wait passes with the lock still held', async () => {
    const { lock, key } = await othersLock('held');
    const waited = await lock.awaitRelease(key, async () => undefined, { wait: 100, interval: 20 });
    expect(waited).toEqual({ status: 'timeout' });
  });

  test('resolves failed when check rejects', async () => {
    const { lock, key } = await othersLock('held');
    const waited = await lock.awaitRelease(
      key,
      async () => {
        throw new Error('memcached down');
      },
      polling,
    );
    expect(waited).toEqual({ status: 'failed' });
  });

  test('resolves failed when memcached cannot be asked for the lock', async () => {
    const c = client();
    const lock = new AddLock(c);
    const key = uniqueKey('lock');
    await lock.acquire(key, 30);
    await c.close();
    expect(await lock.awaitRelease(key, async () => undefined, polling)).toEqual({ status: 'failed' });
  });
});
