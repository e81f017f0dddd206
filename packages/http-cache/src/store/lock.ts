import { AddLock, type CallOptions, type CasToken, ErrorCodes } from '@memwire/core';
import type { Budget, CacheClient } from '../client.js';

/**
 * A lock this process holds, and what releases only this holder's lock: the add-lock's random token,
 * or the CAS of the lease's placeholder (memcached gives each new placeholder its own).
 */
export type HeldLock = { token: string } | { lease: CasToken };

export type LockOutcome =
  /** This process holds the lock: it goes to the origin and stores the response. */
  | HeldLock
  /** Another process holds it: wait for its response to be stored. */
  | 'held'
  /** memcached could not be asked: go to the origin without a lock. */
  | 'unavailable';

/**
 * The cross-process stampede lock. Of all the processes missing one resource at once, one wins; the
 * lock expires by itself after `ttl` seconds, so a process that dies holding it delays the others by
 * at most that, and it is released only by its holder (a holder slower than `ttl` no longer frees
 * the next holder's lock).
 *
 * On a server with the meta protocol it is memcached's lease (`mg <lock> N<ttl>`, core `getLease`):
 * the server creates an empty placeholder and tells exactly one caller it won (`W`), the others that
 * someone has (`Z`). Elsewhere it is the core's `AddLock` (`add` of a random token). The two agree on
 * one key: a placeholder makes `add` fail, and a token makes the lease a plain read (`won: false`),
 * so processes on either protocol share one lock.
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
    const leased = await takeLease(client, key, ttl, options);
    if (leased !== undefined) return leased;
    const token = await new AddLock(client).acquire(key, ttl, options);
    return token === false ? 'held' : { token };
  } catch {
    return 'unavailable';
  }
}

/** The lease, or undefined when the key's server has no meta protocol (then nothing was sent). */
async function takeLease(
  client: CacheClient,
  key: string,
  ttl: number,
  options: CallOptions,
): Promise<LockOutcome | undefined> {
  if (client.getLease === undefined || client.protocolOf?.(key) === 'classic') return undefined;
  let lease: Awaited<ReturnType<NonNullable<CacheClient['getLease']>>>;
  try {
    lease = await client.getLease(key, { ...options, ttl });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === ErrorCodes.UNSUPPORTED) return undefined;
    throw error;
  }
  if (!lease.won) return 'held';
  // Won without a placeholder: the server is down and the client (failover 'miss') answered itself.
  return lease.cas === undefined ? 'unavailable' : { lease: lease.cas };
}

/**
 * Releases a lock this process acquired, if it still holds it; a failure only lets the lock expire
 * by itself.
 */
export async function releaseLock(client: CacheClient, key: string, held: HeldLock): Promise<void> {
  try {
    if ('lease' in held) {
      // `cas` on the placeholder's own CAS, expiring at once: one round trip, and a placeholder a
      // later holder made (after ours expired) has another CAS, so it stays.
      await client.cas(key, '', held.lease, { ttl: -1 });
    } else {
      await new AddLock(client).release(key, held.token);
    }
  } catch {
    // It expires after its TTL.
  }
}
