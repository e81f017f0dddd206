import { MemwireError } from './errors.js';

/**
 * One key's result in a settled multi-key call (`getManySettled`, `setMany`, `deleteMany`): the
 * value, or the error of the server that holds the key. One failing server never fails the others'
 * keys.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: MemwireError };

/** Settles `promise` into an Outcome; non-memwire errors (a codec's own bug) still reject. */
export function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => {
      if (error instanceof MemwireError) return { ok: false as const, error };
      throw error;
    },
  );
}
