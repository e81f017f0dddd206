import { describe, expect, test } from 'vitest';
import { backoffDelay } from '../../src/connection/backoff.js';

const highest = () => 1;
const lowest = () => 0;

describe('backoffDelay', () => {
  test('starts at the initial delay after one failure', () => {
    expect(backoffDelay(1, 100, 5000, highest)).toBe(100);
  });

  test('doubles with every further failure', () => {
    expect([1, 2, 3, 4, 5].map((failures) => backoffDelay(failures, 100, 1_000_000, highest))).toEqual([
      100, 200, 400, 800, 1600,
    ]);
  });

  test('is capped at the maximum', () => {
    expect(backoffDelay(7, 100, 5000, highest)).toBe(5000);
    expect(backoffDelay(50, 100, 5000, highest)).toBe(5000);
    // 2^5000 overflows to Infinity; the cap must still hold.
    expect(backoffDelay(5000, 100, 5000, highest)).toBe(5000);
  });

  test('treats zero failures as one', () => {
    expect(backoffDelay(0, 100, 5000, highest)).toBe(100);
  });

  test('keeps half the delay fixed and jitters the other half', () => {
    expect(backoffDelay(3, 100, 5000, lowest)).toBe(200);
    expect(backoffDelay(3, 100, 5000, () => 0.5)).toBe(300);
    expect(backoffDelay(3, 100, 5000, highest)).toBe(400);
  });

  test('stays within [d/2, d] with real randomness, and varies', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelay(4, 100, 5000);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
      seen.add(delay);
    }
    expect(seen.size).toBeGreaterThan(100);
  });

  test('is 0 when the initial delay is 0', () => {
    expect(backoffDelay(10, 0, 5000, highest)).toBe(0);
  });
});
