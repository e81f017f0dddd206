import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  type MemcachedServer,
  startFakeServer,
  startMemcached,
} from '../../../../test/support/index.js';
import {
  AbortError,
  type Client,
  ClientClosedError,
  ErrorCodes,
  InvalidKeyError,
  ItemTooLargeError,
  ServerError,
  ValueTooLargeError,
} from '../../src/index.js';
import {
  answerLines,
  remainingTtl,
  serverStats,
  settleWithin,
  sleep,
  uniqueKey,
  useClients,
} from './helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(() => server.stop());

const newClient = useClients();
const client = () => newClient({ servers: server.address, commandTimeout: 500, retryDelay: 20 });

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A fake that answers `version` and nothing else, recording every byte it receives. */
async function versionOnlyFake(): Promise<FakeServer> {
  fake = await startFakeServer(answerLines((line) => (line === 'version' ? 'VERSION fake\r\n' : undefined)));
  return fake;
}

const BAD_KEYS: [string, string][] = [
  ['a CRLF that would inject flush_all', 'a\r\nflush_all'],
  ['a LF alone', 'a\nflush_all'],
  ['a space', 'a b'],
  ['a tab', 'a\tb'],
  ['a NUL', 'a\0b'],
  ['DEL', 'a\x7fb'],
  ['a C1 control (NEL)', 'a\u0085b'],
  ['a no-break space', 'a\u00a0b'],
  ['a line separator', 'a\u2028b'],
  ['a lone surrogate', 'a\ud800b'],
  ['251 bytes', 'k'.repeat(251)],
  ['251 bytes of UTF-8 in 126 characters', 'é'.repeat(125) + 'x'],
  ['nothing', ''],
];

/** Every command that takes a key, called with `key`. */
function everyKeyedCommand(c: Client, key: string): Promise<unknown>[] {
  return [
    c.get(key),
    c.getMany(['fine', key]),
    c.gets(key),
    c.getAndTouch(key, 10),
    c.getsAndTouch(key, 10),
    c.set(key, 'v'),
    c.add(key, 'v'),
    c.replace(key, 'v'),
    c.append(key, 'v'),
    c.prepend(key, 'v'),
    c.cas(key, 'v', '1'),
    c.delete(key),
    c.incr(key, 1),
    c.decr(key, 1n),
    c.touch(key, 10),
  ];
}

describe('invalid keys', () => {
  test.each(BAD_KEYS)('a key with %s rejects with InvalidKeyError on every command', async (_name, key) => {
    const c = client();
    const outcomes = await Promise.allSettled(everyKeyedCommand(c, key));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(InvalidKeyError);
      expect(reason).toMatchObject({ code: ErrorCodes.INVALID_KEY });
    }
  });

  test('nothing of a command with a bad key reaches the socket', async () => {
    const f = await versionOnlyFake();
    const c = newClient({ servers: f.address, commandTimeout: 500 });
    await c.version();
    for (const [, key] of BAD_KEYS) {
      await Promise.allSettled(everyKeyedCommand(c, key));
    }
    await c.version();
    expect(f.received.toString('latin1')).toBe('version\r\nversion\r\n');
    expect(f.connections).toBe(1);
  });

  test('a bad key does not even open a connection', async () => {
    const f = await versionOnlyFake();
    const c = newClient({ servers: f.address, commandTimeout: 500 });
    await expect(c.set('a\r\nflush_all', 'v')).rejects.toBeInstanceOf(InvalidKeyError);
    await sleep(20);
    expect(f.connections).toBe(0);
    expect(f.received.length).toBe(0);
  });

  test('injection attempts leave a real server untouched: other keys survive and no flush ran', async () => {
    const c = client();
    const survivor = uniqueKey('survivor');
    await c.set(survivor, 'still here');
    const flushesBefore = Number((await serverStats(c))['cmd_flush']);
    const attempts = [
      c.set('a\r\nflush_all', 'v'),
      c.get('x\r\nflush_all\r\nget y'),
      c.delete(`${survivor}\r\nflush_all`),
      c.set(`${survivor} 0 0 1 noreply`, 'v'),
      c.touch(`${survivor}\r\ndelete ${survivor}`, 1),
      c.getMany([survivor, 'z\r\nflush_all']),
    ];
    for (const outcome of await Promise.allSettled(attempts)) {
      expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(InvalidKeyError);
    }
    expect(await c.get(survivor)).toBe('still here');
    expect(Number((await serverStats(c))['cmd_flush'])).toBe(flushesBefore);
  });

  test('a key of exactly 250 bytes is accepted by the client and the server', async () => {
    const c = client();
    const ascii = 'k'.repeat(250);
    const utf8 = 'é'.repeat(125);
    expect(await c.set(ascii, 'ascii')).toBe(true);
    expect(await c.set(utf8, 'utf8')).toBe(true);
    expect(await c.getMany([ascii, utf8])).toEqual(
      new Map([
        [ascii, 'ascii'],
        [utf8, 'utf8'],
      ]),
    );
  });

  test('the key length limit counts the keyPrefix', async () => {
    const c = newClient({ servers: server.address, keyPrefix: 'prefix:' });
    await expect(c.set('k'.repeat(244), 'v')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await c.set('k'.repeat(243), 'v')).toBe(true);
  });

  test('the error message names the problem and never the rest of a long key', async () => {
    const error = await client()
      .get(`${'s'.repeat(300)}SECRET-TAIL`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect((error as Error).message).toMatch(/311 bytes long/);
    expect((error as Error).message).not.toMatch(/SECRET-TAIL/);
  });

  test('with hashLongKeys an over-long key is stored under its sha256 form', async () => {
    const c = newClient({ servers: server.address, keyPrefix: 'h:', hashLongKeys: true });
    const long = `/search?q=${'x'.repeat(400)}`;
    expect(await c.set(long, 'page')).toBe(true);
    expect(await c.get(long)).toBe('page');
    expect(await c.getMany([long])).toEqual(new Map([[long, 'page']]));
    const digest = createHash('sha256').update(`h:${long}`).digest('base64url');
    expect(await client().get(`h:sha256:${digest}`)).toBe('page');
    // Hashing never makes a key with whitespace acceptable.
    await expect(c.set(`a b${'x'.repeat(300)}`, 'v')).rejects.toBeInstanceOf(InvalidKeyError);
  });
});

describe('value size', () => {
  test('a value over maxValueSize rejects naming its size and the limit, and nothing is sent', async () => {
    const f = await versionOnlyFake();
    const c = newClient({ servers: f.address, maxValueSize: 1000, commandTimeout: 500 });
    await c.version();
    const error = await c.set('k', 'x'.repeat(1001)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect(error).toMatchObject({ code: ErrorCodes.VALUE_TOO_LARGE, size: 1001, limit: 1000 });
    expect((error as Error).message).toMatch(/1001/);
    expect((error as Error).message).toMatch(/1000/);
    // Every write path checks the encoded size.
    const big = Buffer.alloc(1001);
    for (const write of [
      c.add('k', big),
      c.replace('k', big),
      c.append('k', big),
      c.prepend('k', big),
      c.cas('k', big, '1'),
    ]) {
      await expect(write).rejects.toBeInstanceOf(ValueTooLargeError);
    }
    await c.version();
    expect(f.received.toString('latin1')).toBe('version\r\nversion\r\n');
  });

  test('a value of exactly maxValueSize is stored', async () => {
    const c = newClient({ servers: server.address, maxValueSize: 1000 });
    const key = uniqueKey('exact');
    expect(await c.set(key, Buffer.alloc(1000, 1))).toBe(true);
    expect(await c.get(key)).toStrictEqual(Buffer.alloc(1000, 1));
  });

  test('the size limit counts bytes, not characters', async () => {
    const c = newClient({ servers: server.address, maxValueSize: 1000 });
    await expect(c.set(uniqueKey('utf8'), 'é'.repeat(501))).rejects.toMatchObject({ size: 1002 });
  });

  describe('against a server started with -I 1m', () => {
    let small: MemcachedServer;
    beforeAll(async () => {
      small = await startMemcached({ args: ['-I', '1m'] });
    });
    afterAll(() => small.stop());

    test('SERVER_ERROR for a value under 1 MiB but over the real item limit fails that command only', async () => {
      // maxValueSize raised to 1 MiB (the default keeps below the limit): the item header pushes
      // this value over memcached's limit, and the server refuses it.
      const c = newClient({ servers: small.address, commandTimeout: 2000, maxValueSize: 1024 * 1024 });
      const almost = Buffer.alloc(1024 * 1024 - 10, 7);
      const [before, big, after, read] = await Promise.allSettled([
        c.set('before', 'b'),
        c.set('big', almost),
        c.set('after', 'a'),
        c.getMany(['before', 'after', 'big']),
      ]);
      expect(before).toEqual({ status: 'fulfilled', value: true });
      expect(big.status).toBe('rejected');
      const error = (big as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ItemTooLargeError);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).toMatchObject({ code: ErrorCodes.ITEM_TOO_LARGE, server: small.address });
      expect(after).toEqual({ status: 'fulfilled', value: true });
      expect(read).toEqual({
        status: 'fulfilled',
        value: new Map([
          ['before', 'b'],
          ['after', 'a'],
        ]),
      });
      expect(await c.get('big')).toBeUndefined();
      expect(await c.set('next', 'works')).toBe(true);
      expect(await c.get('next')).toBe('works');
    });
  });
});

describe('TTLs', () => {
  test('a TTL over 30 days is stored and readable, with about that long to live', async () => {
    const c = client();
    const key = uniqueKey('sixty-days');
    const sixtyDays = 60 * 24 * 60 * 60;
    expect(await c.set(key, 'kept', { ttl: sixtyDays })).toBe(true);
    expect(await c.get(key)).toBe('kept');
    const left = await remainingTtl(server.port, key);
    expect(left).toBeGreaterThan(sixtyDays - 60);
    expect(left).toBeLessThanOrEqual(sixtyDays + 1);
  });

  test('a TTL of exactly 30 days is stored as relative and readable', async () => {
    const c = client();
    const key = uniqueKey('thirty-days');
    await c.set(key, 'kept', { ttl: 30 * 24 * 60 * 60 });
    expect(await c.get(key)).toBe('kept');
  });

  test('touch and getAndTouch convert long TTLs too', async () => {
    const c = client();
    const [touched, gat] = [uniqueKey('touch-long'), uniqueKey('gat-long')];
    await Promise.all([c.set(touched, 't', { ttl: 5 }), c.set(gat, 'g', { ttl: 5 })]);
    const ninetyDays = 90 * 24 * 60 * 60;
    expect(await c.touch(touched, ninetyDays)).toBe(true);
    expect(await c.getAndTouch(gat, ninetyDays)).toBe('g');
    for (const key of [touched, gat]) {
      expect(await remainingTtl(server.port, key)).toBeGreaterThan(ninetyDays - 60);
    }
    expect(await c.getMany([touched, gat])).toEqual(
      new Map([
        [touched, 't'],
        [gat, 'g'],
      ]),
    );
  });

  test('a negative TTL expires the value at once', async () => {
    const c = client();
    const key = uniqueKey('negative');
    expect(await c.set(key, 'gone', { ttl: -1 })).toBe(true);
    expect(await c.get(key)).toBeUndefined();
  });

  test('a fractional TTL under a second is rounded up, never read as "never expire"', async () => {
    const c = client();
    const key = uniqueKey('half');
    await c.set(key, 'brief', { ttl: 0.5 });
    const left = await remainingTtl(server.port, key);
    expect(left).toBeGreaterThanOrEqual(0);
    expect(left).toBeLessThanOrEqual(1);
  });

  test('a TTL that is not a finite number rejects without sending', async () => {
    const c = client();
    await expect(c.set(uniqueKey('nan'), 'v', { ttl: Number.NaN })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    });
    await expect(c.touch(uniqueKey('inf'), Number.POSITIVE_INFINITY)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    });
  });
});

describe('AbortSignal', () => {
  test('an already aborted signal rejects with AbortError and sends nothing', async () => {
    const f = await versionOnlyFake();
    const c = newClient({ servers: f.address, commandTimeout: 500 });
    const signal = AbortSignal.abort(new Error('gave up'));
    for (const call of [c.get('k', { signal }), c.set('k', 'v', { signal }), c.version({ signal })]) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(error).toMatchObject({ code: ErrorCodes.ABORTED });
      expect((error as Error).cause).toEqual(new Error('gave up'));
    }
    await sleep(20);
    expect(f.connections).toBe(0);
  });

  test('aborting while the server stalls rejects at once, and later replies still reach their own commands', async () => {
    let serverSide: Socket | undefined;
    // Answers nothing by itself; the test writes the replies.
    fake = await startFakeServer((socket) => {
      serverSide = socket;
    });
    const f = fake;
    // One pipeline: the test answers on the one socket it saw.
    const c = newClient({ servers: f.address, commandTimeout: 5000, poolSize: 1 });
    const controller = new AbortController();
    const first = c.get('a', { signal: controller.signal });
    await waitFor(() => f.received.toString('latin1') === 'get a\r\n');

    controller.abort();
    const aborted = await settleWithin(first, 1000);
    expect(aborted.status === 'rejected' && aborted.reason).toBeInstanceOf(AbortError);

    const second = c.get('b');
    await waitFor(() => f.received.toString('latin1') === 'get a\r\nget b\r\n');
    // The server finally answers both, in order: "A" belongs to the aborted get, never to the next one.
    serverSide!.write('VALUE a 0 1\r\nA\r\nEND\r\nVALUE b 0 1\r\nB\r\nEND\r\n');
    expect(await second).toBe('B');
  });

  test('a signal aborted after the reply arrived changes nothing', async () => {
    const c = client();
    const key = uniqueKey('late-abort');
    const controller = new AbortController();
    await c.set(key, 'v');
    const got = await c.get(key, { signal: controller.signal });
    controller.abort();
    expect(got).toBe('v');
    expect(await c.get(key)).toBe('v');
  });
});

describe('after close()', () => {
  test('every command rejects with ClientClosedError', async () => {
    const c = client();
    await c.set(uniqueKey('k'), 'v');
    await c.close();
    const calls: Promise<unknown>[] = [
      c.get('k'),
      c.getMany(['k']),
      c.gets('k'),
      c.getAndTouch('k', 1),
      c.getsAndTouch('k', 1),
      c.set('k', 'v'),
      c.add('k', 'v'),
      c.replace('k', 'v'),
      c.append('k', 'v'),
      c.prepend('k', 'v'),
      c.cas('k', 'v', '1'),
      c.delete('k'),
      c.incr('k'),
      c.decr('k'),
      c.touch('k', 1),
      c.flush(),
      c.stats(),
      c.version(),
      c.verbosity(0),
    ];
    for (const outcome of await Promise.allSettled(calls)) {
      expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(ClientClosedError);
      expect(outcome.status === 'rejected' && outcome.reason).toMatchObject({ code: ErrorCodes.CLOSED });
    }
  });

  test('close() twice and quit() after close() resolve', async () => {
    const c = client();
    await c.version();
    await c.close();
    await c.close();
    await c.quit();
    await expect(c.get('k')).rejects.toBeInstanceOf(ClientClosedError);
  });

  test('a client closed before it ever connected rejects commands without connecting', async () => {
    const f = await versionOnlyFake();
    const c = newClient({ servers: f.address, commandTimeout: 500 });
    await c.close();
    await expect(c.version()).rejects.toBeInstanceOf(ClientClosedError);
    await sleep(20);
    expect(f.connections).toBe(0);
  });
});

/** Polls `condition` every few ms, failing after 2 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await sleep(5);
  }
}
