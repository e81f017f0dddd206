import { AddLock } from '@memwire/core';
import type { Budget, CacheClient } from '../client.js';

/** A lock this process holds: its token, so only this holder's lock is ever released. */
export interface HeldLock {
  token: string;
}

export type LockOutcome =
  /** This process holds the lock: it goes to the origin and stores the response. */
  | HeldLock
  /** Another process holds it: wait for its response to be stored. */
  | 'held'
  /** memcached could not be asked: go to the origin without a lock. */
  | 'unavailable';

/**
 * The cross-process stampede lock, the core's `AddLock`: memcached's `add` stores only when the key
 * is absent, so of all the processes missing one resource at once, one wins. The lock expires by
 * itself after `ttl` seconds, so a process that dies holding it delays the others by at most that.
 * It holds a random token (it held `process.pid`, 1 in most containers) and is released only while
 * it still holds that token: a holder slower than `ttl` no longer deletes the next holder's lock.
 */
export async function acquireLock(
  client: CacheClient,
  key: string,
  ttl: number,
  budget: Budget,
): Promise<LockOutcome> {
  const options = budget.options();
  if (options === undefined) return 'unavailable';
  try {
    const token = await new AddLock(client).acquire(key, ttl, options);
    return token === false ? 'held' : { token };
  } catch {
    return 'unavailable';
  }
}

/**
 * Releases a lock this process acquired, if it still holds it; a failure only lets the lock expire
 * by itself.
 */
export async function releaseLock(client: CacheClient, key: string, held: HeldLock): Promise<void> {
  try {
    await new AddLock(client).release(key, held.token);
  } catch {
    // It expires after its TTL.
  }
}
