import { describe, expect, test } from 'vitest';
import { SingleFlight } from '../../src/index.js';

/** A promise and the functions that settle it, for outcomes a test hands out when it chooses. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('run', () => {
  test('concurrent callers for one key share one call and its value', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let calls = 0;
    const fn = () => {
      calls += 1;
      return gate.promise;
    };
    const all = Promise.all([flights.run('k', fn), flights.run('k', fn), flights.run('k', fn)]);
    gate.resolve('v');
    expect(await all).toEqual(['v', 'v', 'v']);
    expect(calls).toBe(1);
  });

  test('different keys run separately', async () => {
    const flights = new SingleFlight<string>();
    const results = await Promise.all([
      flights.run('a', async () => 'for a'),
      flights.run('b', async () => 'for b'),
    ]);
    expect(results).toEqual(['for a', 'for b']);
  });

  test('a rejection reaches every caller of the flight', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    const first = flights.run('k', () => gate.promise);
    const second = flights.run('k', async () => 'never run');
    gate.reject(new Error('origin down'));
    await expect(first).rejects.toThrow('origin down');
    await expect(second).rejects.toThrow('origin down');
  });

  test('a function that throws before returning a promise fails its flight, and the key is free again', async () => {
    const flights = new SingleFlight<string>();
    await expect(
      flights.run('k', () => {
        throw new Error('synchronous');
      }),
    ).rejects.toThrow('synchronous');
    expect(flights.busy('k')).toBe(false);
  });

  test('a settled flight is forgotten: the next call runs again', async () => {
    const flights = new SingleFlight<number>();
    let calls = 0;
    await flights.run('k', async () => ++calls);
    expect(flights.busy('k')).toBe(false);
    expect(await flights.run('k', async () => ++calls)).toBe(2);
  });
});

describe('lead and join', () => {
  test('joiners get what the leader lands', async () => {
    const flights = new SingleFlight<string | undefined>();
    const land = flights.lead('k');
    expect(flights.busy('k')).toBe(true);
    const joined = flights.join('k');
    land('the response');
    expect(await joined).toBe('the response');
    expect(flights.busy('k')).toBe(false);
    expect(flights.join('k')).toBeUndefined();
  });

  test('landing twice keeps the first outcome', async () => {
    const flights = new SingleFlight<string>();
    const land = flights.lead('k');
    const joined = flights.join('k');
    land('first');
    land('second');
    expect(await joined).toBe('first');
  });

  test('a replaced flight landing late does not end the flight that replaced it', async () => {
    const flights = new SingleFlight<string>();
    const landOld = flights.lead('k');
    const oldJoined = flights.join('k');
    const landNew = flights.lead('k');
    landOld('old');
    expect(await oldJoined).toBe('old');
    expect(flights.busy('k')).toBe(true);
    const newJoined = flights.join('k');
    landNew('new');
    expect(await newJoined).toBe('new');
  });

  test('run joins a flight that lead started', async () => {
    const flights = new SingleFlight<string>();
    const land = flights.lead('k');
    const joined = flights.run('k', async () => 'not run');
    land('led');
    expect(await joined).toBe('led');
  });
});
