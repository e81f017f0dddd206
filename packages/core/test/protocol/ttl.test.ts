import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { MAX_EXPTIME, MAX_RELATIVE_TTL, toExptime } from '../../src/protocol/ttl.js';

const NOW_MS = 1_700_000_000_123;
const NOW_S = 1_700_000_000;

describe('toExptime', () => {
  test('keeps 0 as never expire', () => {
    expect(toExptime(0, NOW_MS)).toBe(0);
  });

  test('turns any negative TTL into -1, expire at once', () => {
    expect(toExptime(-1, NOW_MS)).toBe(-1);
    expect(toExptime(-0.5, NOW_MS)).toBe(-1);
    expect(toExptime(-5_000_000, NOW_MS)).toBe(-1);
  });

  test('rounds fractions up so a short TTL never becomes 0, "never expire"', () => {
    expect(toExptime(0.001, NOW_MS)).toBe(1);
    expect(toExptime(0.5, NOW_MS)).toBe(1);
    expect(toExptime(1.2, NOW_MS)).toBe(2);
  });

  test('sends whole seconds up to 30 days as they are', () => {
    expect(toExptime(1, NOW_MS)).toBe(1);
    expect(toExptime(3600, NOW_MS)).toBe(3600);
  });

  test('keeps exactly 30 days relative', () => {
    expect(MAX_RELATIVE_TTL).toBe(2_592_000);
    expect(toExptime(2_592_000, NOW_MS)).toBe(2_592_000);
  });

  test('turns 30 days + 1 s into an absolute Unix time, now + ttl', () => {
    expect(toExptime(2_592_001, NOW_MS)).toBe(NOW_S + 2_592_001);
  });

  test('turns a fraction just over 30 days into an absolute time too', () => {
    expect(toExptime(2_592_000.5, NOW_MS)).toBe(NOW_S + 2_592_001);
  });

  test('uses the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const exptime = toExptime(60 * 60 * 24 * 60);
    const after = Math.floor(Date.now() / 1000);
    expect(exptime).toBeGreaterThanOrEqual(before + 5_184_000);
    expect(exptime).toBeLessThanOrEqual(after + 5_184_000);
  });

  test('clamps a TTL ending after 2038 to 2^31 - 1, the last exptime memcached keeps', () => {
    expect(MAX_EXPTIME).toBe(2 ** 31 - 1);
    expect(toExptime(MAX_EXPTIME - NOW_S, NOW_MS)).toBe(MAX_EXPTIME);
    expect(toExptime(MAX_EXPTIME - NOW_S + 1, NOW_MS)).toBe(MAX_EXPTIME);
    expect(toExptime(1e12, NOW_MS)).toBe(MAX_EXPTIME);
    expect(toExptime(Number.MAX_VALUE, NOW_MS)).toBe(MAX_EXPTIME);
  });

  test.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a string', '60'],
    ['undefined', undefined],
  ])('rejects %s with ERR_MEMWIRE_INVALID_ARGUMENT', (_, ttl) => {
    let caught: unknown;
    try {
      toExptime(ttl as number, NOW_MS);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).code).toBe('ERR_MEMWIRE_INVALID_ARGUMENT');
  });
});

describe('toExptime beyond 2038', () => {
  test('clamps an absolute time past memcached’s 32-bit exptime to the largest it keeps', () => {
    // memcached parses exptime as a signed 32-bit number: more is `CLIENT_ERROR bad command line format`.
    expect(toExptime(4_000_000_000, NOW_MS)).toBe(MAX_EXPTIME);
    expect(toExptime(MAX_EXPTIME - Math.floor(NOW_MS / 1000), NOW_MS)).toBe(MAX_EXPTIME);
    expect(toExptime(MAX_EXPTIME - Math.floor(NOW_MS / 1000) - 1, NOW_MS)).toBe(MAX_EXPTIME - 1);
  });
});
