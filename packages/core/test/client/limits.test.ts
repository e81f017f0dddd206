import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  DEFAULT_OPTIONS,
  ErrorCodes,
  InvalidArgumentError,
  ItemTooLargeError,
  MAX_KEY_BYTES,
  ValueTooLargeError,
} from '../../src/index.js';
import { remainingTtl, serverStats, uniqueKey, useClients } from './helpers.js';

// A server with memcached's default item size (-I 1m), as most deployments run it.
let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(() => server.stop());

const newClient = useClients();
const client = (options: Parameters<typeof newClient>[0] = {}) =>
  newClient({ servers: server.address, commandTimeout: 2000, ...options });

/** A key of exactly `bytes` bytes, unique to this run. */
function keyOf(bytes: number): string {
  const base = uniqueKey('k');
  return base + 'x'.repeat(bytes - base.length);
}

describe('the default maxValueSize and a default memcached (-I 1m)', () => {
  test.each([
    ['the longest key (250 bytes)', MAX_KEY_BYTES],
    ['a short key', 20],
  ])('the largest value the default lets through is stored and read back, with %s', async (_name, bytes) => {
    const c = client();
    const key = keyOf(bytes);
    const value = Buffer.alloc(DEFAULT_OPTIONS.maxValueSize, 7);
    expect(await c.set(key, value)).toBe(true);
    expect(Buffer.compare((await c.get(key)) as Buffer, value)).toBe(0);
  });

  test('one byte more is refused before anything is sent', async () => {
    const c = client();
    const before = Number((await serverStats(c))['cmd_set']);
    const error = await c
      .set(uniqueKey('big'), Buffer.alloc(DEFAULT_OPTIONS.maxValueSize + 1))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect(error).toMatchObject({ code: ErrorCodes.VALUE_TOO_LARGE, limit: DEFAULT_OPTIONS.maxValueSize });
    expect(Number((await serverStats(c))['cmd_set'])).toBe(before);
  });

  test("the server's own refusal, with maxValueSize raised past the item size, is an ItemTooLargeError", async () => {
    const c = client({ maxValueSize: 4 * 1024 * 1024 });
    const key = uniqueKey('too-large');
    const error = await c.set(key, Buffer.alloc(2 * 1024 * 1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ItemTooLargeError);
    expect(error).toMatchObject({ code: ErrorCodes.ITEM_TOO_LARGE, server: server.address });
    // The data was swallowed: the connection is still in step.
    expect(await c.set(key, 'small')).toBe(true);
    expect(await c.get(key)).toBe('small');
  });
});

describe('a flush larger than one string can hold', () => {
  // V8 refuses strings past 2^29 - 24 UTF-16 units: 600 string sets of 900 KiB in one tick are ~553
  // million, and joining them for the write used to throw a RangeError from the flush — an uncaught
  // exception that ended the process, every set timing out first.
  test.each(['classic', 'meta'] as const)(
    '600 concurrent 900 KiB string sets all land (%s)',
    async (protocol) => {
      const c = client({ protocol, commandTimeout: 60_000 });
      const value = 'v'.repeat(900 * 1024);
      const prefix = uniqueKey('big');
      const stored = await Promise.all(Array.from({ length: 600 }, (_, i) => c.set(`${prefix}:${i}`, value)));
      expect(stored.every((ok) => ok === true)).toBe(true);
      // memcached -m 64 keeps only the newest of them; the last written is one.
      expect(await c.get(`${prefix}:599`)).toBe(value);
    },
    120_000,
  );
});

describe('TTLs whose absolute time passes 2038 (memcached keeps exptime as a 32-bit time)', () => {
  const HUGE = [
    ['100 years', 100 * 365 * 24 * 3600],
    ['10^12 s', 1e12],
    ['Number.MAX_VALUE s', Number.MAX_VALUE],
  ] as const;

  test.each(HUGE)('a value set with a TTL of %s is still there after a get', async (_name, ttl) => {
    const c = client();
    const key = uniqueKey('huge-ttl');
    expect(await c.set(key, 'kept', { ttl })).toBe(true);
    expect(await c.get(key)).toBe('kept');
    // Clamped to the last second memcached keeps, not "never": the server reports a TTL left.
    expect(await remainingTtl(server.port, key)).toBeGreaterThan(10 * 365 * 24 * 3600);
  });

  test('a huge TTL through touch, getAndTouch, add, replace, cas and setMany keeps the value too', async () => {
    const c = client();
    const ttl = 1e12;
    const [a, b, d, e, f] = [1, 2, 3, 4, 5].map(() => uniqueKey('huge-ttl-verb'));
    expect(await c.set(a!, 'a', { ttl: 60 })).toBe(true);
    expect(await c.touch(a!, ttl)).toBe(true);
    expect(await c.getAndTouch(a!, ttl)).toBe('a');
    expect(await c.add(b!, 'b', { ttl })).toBe(true);
    expect(await c.set(d!, 'd0')).toBe(true);
    expect(await c.replace(d!, 'd', { ttl })).toBe(true);
    expect(await c.set(e!, 'e0')).toBe(true);
    const token = (await c.gets(e!))!.cas;
    expect(await c.cas(e!, 'e', token, { ttl })).toBe(true);
    await c.setMany([[f!, 'f']], { ttl });
    expect(await c.getMany([a!, b!, d!, e!, f!])).toEqual(
      new Map([
        [a, 'a'],
        [b, 'b'],
        [d, 'd'],
        [e, 'e'],
        [f, 'f'],
      ]),
    );
  });

  test.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'a TTL of %s is refused with InvalidArgumentError',
    async (ttl) => {
      await expect(client().set(uniqueKey('bad-ttl'), 'v', { ttl })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    },
  );
});
