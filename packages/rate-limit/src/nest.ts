import { parseCount } from './count.js';
import { RateLimitCounter } from './counter.js';
import { keyPart } from './keys.js';
import type { RateLimitOptions } from './options.js';

/** What @nestjs/throttler 6 reads back from a storage (its `ThrottlerStorageRecord`). */
export interface ThrottlerRecord {
  /** Hits in the window. */
  totalHits: number;
  /** Seconds until the window ends (the `X-RateLimit-Reset` header). */
  timeToExpire: number;
  /** Whether the request is refused (the guard throws a 429 when true). */
  isBlocked: boolean;
  /** Seconds until the block ends (the `Retry-After` header), 0 when not blocked. */
  timeToBlockExpire: number;
}

/** The block a key is under: a scope no key from a request can reach (see `keyPart`). */
const BLOCK_SCOPE = 'throttler-block';

/**
 * A @nestjs/throttler 6 `ThrottlerStorage` on memcached: exact counts shared by every process (see
 * {@link RateLimitCounter}), fixed (or sliding) windows of the throttler's `ttl`.
 *
 * Blocking follows the throttler's own storage: the hit that goes over `limit` blocks the key for
 * `blockDuration` ms (the throttler defaults it to `ttl`), stored in memcached so every process
 * refuses it; hits while blocked are not counted, and the key's count starts over when the block is
 * placed. A blocked check rides in the same round trip as the hit (taken back when blocked).
 * memcached down: `onUnavailable` answers (default `'allow'`), with the counter's events.
 *
 * @example
 * ThrottlerModule.forRoot({
 *   throttlers: [{ ttl: 60_000, limit: 100 }],
 *   storage: new MemwireThrottlerStorage({ servers: 'cache:11211' }),
 * });
 */
export class MemwireThrottlerStorage {
  /** The counting core. */
  readonly counter: RateLimitCounter;

  /**
   * @param options - counter and client options, or a {@link RateLimitCounter} to use.
   * @example new MemwireThrottlerStorage({ prefix: 'throttle:' })
   */
  constructor(options: RateLimitOptions | RateLimitCounter = {}) {
    this.counter = options instanceof RateLimitCounter ? options : new RateLimitCounter(options);
  }

  /** Counts a hit on `key` (the throttler's key already names the throttler) in a window of `ttl` ms. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerRecord> {
    const blockKey = keyPart(this.counter.prefix, key, BLOCK_SCOPE);
    const [hits, blockedUntil] = await Promise.all([
      this.counter.increment(key, { windowMs: ttl, limit }),
      // An unreadable block is no block: the hit's own count (or `onUnavailable`) still decides.
      blockDuration > 0 ? this.counter.client.get(blockKey).then(parseCount, () => undefined) : undefined,
    ]);
    const now = Date.now();
    const timeToExpire = Math.max(0, Math.ceil((hits.resetTime - now) / 1000));
    if (blockedUntil !== undefined && blockedUntil > now) {
      // Refused while blocked: the hit does not count.
      if (hits.unavailable === undefined) await this.counter.decrement(key, { windowMs: ttl });
      return blocked(hits.totalHits, timeToExpire, blockedUntil - now);
    }
    if (hits.totalHits <= limit)
      return { totalHits: hits.totalHits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
    if (blockDuration <= 0 || hits.unavailable !== undefined) {
      return blocked(hits.totalHits, timeToExpire, timeToExpire * 1000);
    }
    const until = await this.block(key, blockKey, ttl, now + blockDuration);
    return blocked(hits.totalHits, timeToExpire, until - now);
  }

  /** Closes the client if the storage created it (Nest does not: call it in `onApplicationShutdown`). */
  async close(): Promise<void> {
    await this.counter.close();
  }

  /**
   * Blocks `key` until `until` (ms) in every process. `add` keeps the first block when several
   * processes place one at once; the count starts over, as the throttler's own storage does.
   */
  private async block(key: string, blockKey: string, ttl: number, until: number): Promise<number> {
    const seconds = Math.ceil((until - Date.now()) / 1000) + 1;
    try {
      const placed = await this.counter.client.add(blockKey, String(until), { ttl: seconds });
      if (!placed) return parseCount(await this.counter.client.get(blockKey)) ?? until;
      await this.counter.reset(key, { windowMs: ttl });
    } catch {
      // memcached went away after counting: this hit is over the limit all the same.
    }
    return until;
  }
}

function blocked(totalHits: number, timeToExpire: number, blockMs: number): ThrottlerRecord {
  return {
    totalHits,
    timeToExpire,
    isBlocked: true,
    timeToBlockExpire: Math.max(1, Math.ceil(blockMs / 1000)),
  };
}
