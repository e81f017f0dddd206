import { expect } from 'vitest';

/** The error `fn` throws, checked to be a `type`; fails the test when nothing is thrown. */
export function thrown<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

/** Bytes from hex, for values copied from what Python and PHP wrote. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}
