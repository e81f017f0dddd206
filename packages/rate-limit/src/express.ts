import { RateLimitCounter, type RateLimitEvents } from './counter.js';
import type { RateLimitOptions } from './options.js';

/** A client's count as express-rate-limit reads it (its `ClientRateLimitInfo`). */
export interface ExpressRateLimitInfo {
  totalHits: number;
  resetTime: Date | undefined;
}

/** What the store reads of express-rate-limit's options in `init` (its `Options`, structurally). */
export interface ExpressRateLimitInit {
  windowMs: number;
  limit?: unknown;
}

/**
 * An express-rate-limit (7 and 8) `Store` on memcached: every process and host behind the same
 * memcached shares one exact count per key (see {@link RateLimitCounter}). Give each limiter its own
 * store (express-rate-limit refuses a shared one) and, when they share a memcached, its own `prefix`.
 *
 * - `increment` is one round trip (`incr`; `add` on the first hit of a window) and `resetTime` is
 *   the window's end, so the `RateLimit-Reset` header is exact in every process.
 * - `decrement` (`skipFailedRequests` / `skipSuccessfulRequests`), `resetKey` and `get` work.
 * - memcached down: the store answers by `onUnavailable` (default `'allow'`) and emits `'failOpen'`
 *   or `'failClosed'`; it never throws for an outage, so `passOnStoreError` does not come into it.
 *
 * @example
 * import { rateLimit } from 'express-rate-limit';
 * import { MemwireRateLimitStore } from '@memwire/rate-limit';
 *
 * app.use(rateLimit({ windowMs: 60_000, limit: 100, store: new MemwireRateLimitStore({ servers: 'cache:11211' }) }));
 */
export class MemwireRateLimitStore {
  /** The counting core, shared with nothing else. */
  readonly counter: RateLimitCounter;
  /** Told to express-rate-limit, which uses it to tell two limiters counting one key apart. */
  readonly prefix: string;
  /** Counts are shared by every process on the same memcached. */
  readonly localKeys = false;
  private limit: number | undefined;

  /**
   * @param options - counter and client options, or a {@link RateLimitCounter} to use.
   * @example new MemwireRateLimitStore({ prefix: 'login:', onUnavailable: 'deny' })
   */
  constructor(options: RateLimitOptions | RateLimitCounter = {}) {
    this.counter = options instanceof RateLimitCounter ? options : new RateLimitCounter(options);
    this.prefix = this.counter.prefix;
  }

  /** Takes the limiter's `windowMs` (and its `limit`, when a number, for `'deny'` answers). */
  init(options: ExpressRateLimitInit): void {
    this.counter.windowMs = options.windowMs;
    this.limit = typeof options.limit === 'number' ? options.limit : undefined;
  }

  /** Counts a hit on `key`: its hits in this window and when the window ends. */
  async increment(key: string): Promise<ExpressRateLimitInfo> {
    const hits = await this.counter.increment(key, { limit: this.limit });
    return { totalHits: hits.totalHits, resetTime: new Date(hits.resetTime) };
  }

  /** Takes a hit back from `key` (a request skipped after the fact). */
  async decrement(key: string): Promise<void> {
    await this.counter.decrement(key);
  }

  /** Forgets `key`'s hits (express-rate-limit's `limiter.resetKey`). */
  async resetKey(key: string): Promise<void> {
    await this.counter.reset(key);
  }

  /** `key`'s hits in this window, or undefined when it has none (`limiter.getKey`). */
  async get(key: string): Promise<ExpressRateLimitInfo | undefined> {
    const hits = await this.counter.get(key);
    return hits === undefined
      ? undefined
      : { totalHits: hits.totalHits, resetTime: new Date(hits.resetTime) };
  }

  /** Closes the client if the store created it. */
  async shutdown(): Promise<void> {
    await this.counter.close();
  }

  /** Listens to the counter's events (`'failOpen'`, `'failClosed'`). */
  on(event: keyof RateLimitEvents, listener: (...args: RateLimitEvents['failOpen']) => void): this {
    this.counter.on(event, listener);
    return this;
  }
}
