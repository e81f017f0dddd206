import { AddLock } from '@memwire/core';
import type { MemwireClient } from '@memwire/keyv';

/** Options of `wrap`'s cross-process lock. */
export interface WrapLockOptions {
  /**
   * Longest time a process holds the lock (or, on a meta server, the lease), in milliseconds (sent
   * rounded up to whole seconds). A process that dies while holding it delays the others by this
   * much at most.
   * @default 10_000
   */
  ttl?: number | undefined;
  /**
   * How long a process waits for another's result before running the function itself, in
   * milliseconds. Nobody ever waits for ever.
   * @default the lock's `ttl`
   */
  wait?: number | undefined;
  /**
   * How often a waiting process looks for the result, in milliseconds. Waiting on a lease, it looks
   * every 10 ms (at most this) during its first `retryInterval`, then every `retryInterval`.
   * @default 50
   */
  retryInterval?: number | undefined;
}

/** The lock's defaults. */
export const WRAP_LOCK_DEFAULTS = {
  ttl: 10_000,
  retryInterval: 50,
} as const;

/** The lock's options resolved, shared by the add-lock and the lease ({@link WrapLease}). */
export interface LockSettings {
  ttlSeconds: number;
  wait: number;
  retryInterval: number;
}

/** `options` with their defaults, checked. */
export function lockSettings(options: WrapLockOptions = {}): LockSettings {
  const ttl = options.ttl ?? WRAP_LOCK_DEFAULTS.ttl;
  if (!(ttl > 0)) throw new RangeError('lock.ttl must be a number of milliseconds > 0');
  return {
    ttlSeconds: Math.ceil(ttl / 1000),
    wait: options.wait ?? ttl,
    retryInterval: options.retryInterval ?? WRAP_LOCK_DEFAULTS.retryInterval,
  };
}

/**
 * "Only one process computes a missing key": memcached `add` is atomic, so of the processes that
 * miss the same key at once, one stores the lock and computes; the others wait for its result to
 * appear, and compute themselves only if it does not come within `wait`. The lock has a TTL, so a
 * process that dies holding it cannot block anyone for longer. The lock itself is the core's
 * `AddLock`: a random token per holder, released only while it still holds that token (a lock that
 * expired and was taken by someone else is left alone). The cache is best effort: when memcached
 * fails, the function simply runs.
 */
export class WrapLock {
  private readonly ttlSeconds: number;
  private readonly wait: number;
  private readonly retryInterval: number;
  private readonly lock: AddLock;

  constructor(
    client: MemwireClient,
    /** The memcached key of `key`'s lock. */
    private readonly lockKey: (key: string) => string,
    options: WrapLockOptions = {},
  ) {
    ({
      ttlSeconds: this.ttlSeconds,
      wait: this.wait,
      retryInterval: this.retryInterval,
    } = lockSettings(options));
    this.lock = new AddLock(client);
  }

  /**
   * `compute` under the lock of `key`, or, while another process holds it, the first result
   * `lookup` finds; `compute` after all if none comes within `wait`.
   */
  async run<R>(key: string, compute: () => Promise<R>, lookup: () => Promise<R | undefined>): Promise<R> {
    const deadline = performance.now() + this.wait;
    // A failing lookup is a miss: the cache is best effort.
    const look = () => lookup().catch(() => undefined);
    // Taking a lock just released means its holder has stored the result: look before computing.
    const lookThenCompute = async () => (await look()) ?? compute();
    for (;;) {
      const token = await this.acquire(key);
      if (token !== false) return this.holding(key, token, lookThenCompute);
      const waited = await this.lock.awaitRelease(this.lockKey(key), look, {
        wait: deadline - performance.now(),
        interval: this.retryInterval,
      });
      if (waited.status === 'found') return waited.value;
      // Released without a result: try to take it. Out of time, or memcached failing: compute unguarded.
      if (waited.status !== 'released') return compute();
    }
  }

  /** `compute` if the lock of `key` is free, else nothing (someone else is at it, or was). */
  async tryRun<R>(key: string, compute: () => Promise<R>): Promise<{ ran: true; value: R } | { ran: false }> {
    const token = await this.acquire(key);
    if (token === false) return { ran: false };
    return { ran: true, value: await this.holding(key, token, compute) };
  }

  /** A token when the lock was taken (or memcached cannot be asked: then run unguarded), else false. */
  private async acquire(key: string): Promise<string | undefined | false> {
    try {
      return await this.lock.acquire(this.lockKey(key), this.ttlSeconds);
    } catch {
      return undefined;
    }
  }

  private async holding<R>(key: string, token: string | undefined, compute: () => Promise<R>): Promise<R> {
    try {
      return await compute();
    } finally {
      if (token !== undefined) await this.release(key, token).catch(() => {});
    }
  }

  private async release(key: string, token: string): Promise<void> {
    await this.lock.release(this.lockKey(key), token);
  }
}
