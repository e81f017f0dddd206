import { ErrorCodes } from '@memwire/core';
import type { MemwireClient } from '@memwire/keyv';
import type { DataKeys } from './data-keys.js';

/**
 * What memcached says `key` has left, in seconds (`Infinity`: never expires; `undefined`: a miss),
 * read with the meta protocol's `mg <key> t`. `null` when the server cannot tell: it has no meta
 * protocol (or sits behind a proxy without it), in which case nothing was sent.
 */
export async function serverSecondsLeft(
  client: MemwireClient,
  dataKeys: DataKeys,
  key: string,
): Promise<number | undefined | null> {
  try {
    const seconds = await dataKeys.run(key, (wire) => client.ttl(wire));
    // The core parsed memcached's `t` flag; still, only a count of seconds is an answer.
    if (seconds === undefined || seconds === Number.POSITIVE_INFINITY) return seconds;
    return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
  } catch (error) {
    if (isUnsupported(error)) return null;
    throw error;
  }
}

/** A classic-only server (or proxy): the meta command was refused before anything was sent. */
export function isUnsupported(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === ErrorCodes.UNSUPPORTED;
}

/**
 * An entry's `expires` as cache-manager 7 means it (absolute ms), when it is one. The entry may have
 * been written by another app sharing the namespace: anything but a positive finite number is no
 * expiry time at all.
 */
export function validExpiry(expires: unknown): number | undefined {
  return typeof expires === 'number' && Number.isFinite(expires) && expires > 0 ? expires : undefined;
}
