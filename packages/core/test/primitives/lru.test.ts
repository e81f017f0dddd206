import { afterEach, describe, expect, test, vi } from 'vitest';
import { Lru } from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Lru', () => {
  test('returns what was set, and undefined for a key never set', () => {
    const lru = new Lru<string, number>({ max: 2 });
    lru.set('a', 1);
    expect(lru.get('a')).toBe(1);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.has('a')).toBe(true);
  });

  test('past max, the least recently used entry is forgotten first', () => {
    const lru = new Lru<string, number>({ max: 2 });
    lru.set('a', 1).set('b', 2);
    lru.get('a'); // `b` is now the least recently used
    lru.set('c', 3);
    expect(lru.has('b')).toBe(false);
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  test('has does not count as a use', () => {
    const lru = new Lru<string, number>({ max: 2 });
    lru.set('a', 1).set('b', 2);
    lru.has('a');
    lru.set('c', 3);
    expect(lru.has('a')).toBe(false);
  });

  test('setting a key again replaces its value and makes it the most recently used', () => {
    const lru = new Lru<string, number>({ max: 2 });
    lru.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
    expect(lru.get('a')).toBe(10);
    expect(lru.has('b')).toBe(false);
  });

  test('an entry expires after its TTL, and is dropped, not only hidden', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lru = new Lru<string, number>({ max: 10, ttl: 1000 });
    lru.set('default', 1).set('own', 2, 5000).set('forever', 3, Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(1001);
    expect(lru.get('default')).toBeUndefined();
    expect(lru.size).toBe(2);
    expect(lru.get('own')).toBe(2);
    vi.advanceTimersByTime(10_000);
    expect(lru.has('own')).toBe(false);
    expect(lru.get('forever')).toBe(3);
  });

  test('a TTL of 0 or less expires the entry at once', () => {
    const lru = new Lru<string, number>({ max: 10 });
    lru.set('zero', 1, 0).set('negative', 2, -5);
    expect(lru.get('zero')).toBeUndefined();
    expect(lru.has('negative')).toBe(false);
  });

  test('delete and clear forget entries', () => {
    const lru = new Lru<string, number>({ max: 10 });
    lru.set('a', 1).set('b', 2);
    expect(lru.delete('a')).toBe(true);
    expect(lru.delete('a')).toBe(false);
    lru.clear();
    expect(lru.size).toBe(0);
  });

  test.each([0, 1.5, Number.NaN])('rejects max %s', (max) => {
    expect(() => new Lru({ max })).toThrow(RangeError);
  });

  test.each([0, -1, Number.NaN])('rejects ttl %s', (ttl) => {
    expect(() => new Lru({ max: 1, ttl })).toThrow(RangeError);
  });
});
