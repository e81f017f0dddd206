import { describe, expect, test } from 'vitest';
import {
  CodecError,
  ErrorCodes,
  GENERATION_RANGE,
  GenerationCounter,
  parseGeneration,
} from '../../src/index.js';
import { sleep, uniqueKey } from '../client/helpers.js';
import { CODECS, useMemcached } from './helpers.js';

const clientWith = useMemcached();

describe.each(CODECS)('GenerationCounter with %s', (_name, codec) => {
  const client = () => clientWith(codec);

  test('a missing counter reads as undefined', async () => {
    expect(await new GenerationCounter(client()).read(uniqueKey('gen'))).toBeUndefined();
  });

  test('current creates a counter at a random value in [1, 2^47), stored with no expiry', async () => {
    const c = client();
    const counters = new GenerationCounter(c);
    const key = uniqueKey('gen');
    const generation = await counters.current(key);
    expect(Number.isSafeInteger(generation)).toBe(true);
    expect(generation).toBeGreaterThanOrEqual(1);
    expect(generation).toBeLessThan(GENERATION_RANGE);
    expect(await counters.read(key)).toBe(generation);
  });

  test('a counter never expires, whatever the client’s default TTL', async () => {
    const c = clientWith(codec, { ttl: 1 });
    const counters = new GenerationCounter(c);
    const key = uniqueKey('gen');
    const generation = await counters.current(key);
    await sleep(2100);
    expect(await counters.read(key)).toBe(generation);
  });

  test('two fresh counters do not start at the same value', async () => {
    const counters = new GenerationCounter(client());
    const [a, b] = await Promise.all([
      counters.current(uniqueKey('gen')),
      counters.current(uniqueKey('gen')),
    ]);
    expect(a).not.toBe(b);
  });

  test('processes creating one counter at once agree on the winner’s value', async () => {
    const key = uniqueKey('gen');
    const values = await Promise.all(
      Array.from({ length: 5 }, () => new GenerationCounter(client()).current(key)),
    );
    expect(new Set(values).size).toBe(1);
  });

  test('create resolves undefined when the counter exists already', async () => {
    const counters = new GenerationCounter(client());
    const key = uniqueKey('gen');
    const first = await counters.create(key);
    expect(first).toBeDefined();
    expect(await counters.create(key)).toBeUndefined();
    expect(await counters.read(key)).toBe(first);
  });

  test('bump moves the counter on by one', async () => {
    const counters = new GenerationCounter(client());
    const key = uniqueKey('gen');
    const before = await counters.current(key);
    expect(await counters.bump(key)).toBe(before + 1);
    expect(await counters.read(key)).toBe(before + 1);
  });

  test('bump on a missing counter creates a fresh one', async () => {
    const counters = new GenerationCounter(client());
    const key = uniqueKey('gen');
    const generation = await counters.bump(key);
    expect(await counters.read(key)).toBe(generation);
  });

  test('a counter stored by an earlier scheme (a number from the clock) stays readable', async () => {
    const c = client();
    const key = uniqueKey('gen');
    await c.set(key, '1800000000000000', { ttl: 0 });
    const counters = new GenerationCounter(c);
    expect(await counters.current(key)).toBe(1_800_000_000_000_000);
    expect(await counters.bump(key)).toBe(1_800_000_000_000_001);
  });

  test('a value that is not a counter rejects with a CodecError', async () => {
    const c = client();
    const key = uniqueKey('gen');
    await c.set(key, 'not a number');
    await expect(new GenerationCounter(c).read(key)).rejects.toMatchObject({ code: ErrorCodes.CODEC });
  });
});

describe('parseGeneration', () => {
  test.each([
    ['decimal text', '42', 42],
    ['text padded by incr', '42  ', 42],
    ['bytes', Buffer.from('7'), 7],
    ['a number', 9, 9],
    ['a bigint', 11n, 11],
    ['zero', '0', 0],
  ])('reads %s', (_name, value, expected) => {
    expect(parseGeneration(value)).toBe(expected);
  });

  test.each([undefined, null])('reads %s as no counter', (value) => {
    expect(parseGeneration(value)).toBeUndefined();
  });

  test.each([
    ['empty text', ''],
    ['spaces', '  '],
    ['hexadecimal', '0x10'],
    ['an exponent', '1e3'],
    ['a negative number', '-1'],
    ['a fraction', 1.5],
    ['beyond 2^53', '9007199254740993'],
    ['an object', { generation: 1 }],
  ])('rejects %s', (_name, value) => {
    expect(() => parseGeneration(value, 'gen:x')).toThrow(CodecError);
  });
});
