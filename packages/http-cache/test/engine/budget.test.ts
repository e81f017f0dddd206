import { afterEach, describe, expect, test, vi } from 'vitest';
import { Budget } from '../../src/client.js';

describe('Budget: the time the cache may add to one request', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('a fresh budget gives the next call a signal that has not fired', () => {
    // The monotonic clock has fractions of a millisecond; AbortSignal.timeout takes whole ones.
    const options = new Budget(1000).options();
    expect(options?.signal).toBeInstanceOf(AbortSignal);
    expect(options?.signal?.aborted).toBe(false);
  });

  test('a spent budget skips the call (no options)', async () => {
    const budget = new Budget(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(budget.options()).toBeUndefined();
  });

  test('a wall clock stepped back does not stretch it', async () => {
    const budget = new Budget(5);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(budget.options()).toBeUndefined();
  });
});
