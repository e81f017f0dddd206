import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallOptions, WriteOptions } from '../client.js';
import type { CasToken } from '../get-sinks.js';

/** The part of a `Client` a lock needs (any codec that stores a string and returns it, as text or bytes). */
export interface LockClient {
  add(key: string, value: string, options?: WriteOptions): Promise<boolean>;
  gets(key: string, options?: CallOptions): Promise<{ value: unknown; cas: CasToken } | undefined>;
  cas(key: string, value: string, cas: CasToken, options?: WriteOptions): Promise<boolean>;
}

/** How {@link AddLock.awaitRelease} polls. */
export interface AwaitReleaseOptions {
  /** Longest wait, in milliseconds. */
  wait: number;
  /** Milliseconds between two looks. */
  interval: number;
}

/** How a wait for another holder ended (see {@link AddLock.awaitRelease}). */
export type AwaitOutcome<T> =
  | { status: 'found'; value: T }
  | { status: 'released' | 'timeout' | 'failed'; value?: undefined };

/**
 * A lock across processes on one memcached key: `add` stores only when the key is absent, so of
 * the processes asking at once, one wins. Each holder stores a random token (never its pid, which
 * is 1 in most containers), and releases or extends only a lock that still holds its token: a
 * holder whose lock expired and was taken by another must not delete the new holder's lock. The
 * check and the change are one step with `gets` + `cas` (protocol.txt: `cas` stores only if the
 * item is unchanged since the `gets`), and a release is a `cas` with an exptime already past
 * (memcached stores it expired, so it is gone: a delete that happens only if the token matches).
 *
 * @example
 * const lock = new AddLock(client);
 * const token = await lock.acquire('lock:report', 30);
 * if (token !== false) {
 *   try { await buildReport(); } finally { await lock.release('lock:report', token); }
 * }
 */
export class AddLock {
  constructor(private readonly client: LockClient) {}

  /**
   * Takes the lock at `key` for `ttl` seconds (it expires by itself then, so a holder that dies
   * delays the others by that much at most). Resolves with this holder's token, or false when
   * someone else holds it. Rejects when memcached cannot be asked.
   */
  async acquire(key: string, ttl: number, options?: CallOptions): Promise<string | false> {
    const token = randomUUID();
    return (await this.client.add(key, token, { ...options, ttl })) ? token : false;
  }

  /** Releases the lock if it still holds `token`. Resolves true when it did. Rejects when memcached cannot be asked. */
  release(key: string, token: string, options?: CallOptions): Promise<boolean> {
    return this.replaceOwn(key, token, -1, options);
  }

  /** Gives the lock `ttl` more seconds if it still holds `token`. Resolves true when it did. */
  extend(key: string, token: string, ttl: number, options?: CallOptions): Promise<boolean> {
    return this.replaceOwn(key, token, ttl, options);
  }

  /**
   * Waits for another holder of `key`: every `interval` ms asks `check` for the holder's result and
   * memcached for the lock, until `check` finds it (`found`), the lock is gone without a result
   * (`released`: the holder stored nothing usable, or died and its lock expired), `wait` ms pass
   * (`timeout`), or `check` or memcached rejects (`failed`). Never rejects. What to do next is the
   * caller's: take the lock itself, or go on without it.
   *
   * @example
   * const waited = await lock.awaitRelease('lock:report', () => readReport(), { wait: 5000, interval: 50 });
   * if (waited.status === 'found') return waited.value;
   */
  async awaitRelease<T>(
    key: string,
    check: () => Promise<T | undefined>,
    options: AwaitReleaseOptions,
    call?: CallOptions,
  ): Promise<AwaitOutcome<T>> {
    const deadline = performance.now() + options.wait;
    while (performance.now() < deadline) {
      await sleep(options.interval);
      let found: T | undefined;
      let held: unknown;
      try {
        [found, held] = await Promise.all([check(), this.client.gets(key, call)]);
      } catch {
        return { status: 'failed' };
      }
      if (found !== undefined) return { status: 'found', value: found };
      if (held === undefined) {
        // The two reads may have crossed the holder's write and release: one last look.
        let last: T | undefined;
        try {
          last = await check();
        } catch {
          return { status: 'failed' };
        }
        return last === undefined ? { status: 'released' } : { status: 'found', value: last };
      }
    }
    return { status: 'timeout' };
  }

  private async replaceOwn(key: string, token: string, ttl: number, options?: CallOptions): Promise<boolean> {
    const held = await this.client.gets(key, options);
    if (held === undefined || tokenOf(held.value) !== token) return false;
    return this.client.cas(key, token, held.cas, { ...options, ttl });
  }
}

/** The token in a value read back: text from a text codec, bytes from the raw codec. */
function tokenOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString();
  return undefined;
}
