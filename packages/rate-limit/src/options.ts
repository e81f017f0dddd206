import type { ClientOptions, Value } from '@memwire/core';
import type { CounterClient } from './counter-client.js';

/** How hits are counted; see {@link RateLimitOptions.algorithm}. */
export type RateLimitAlgorithm = 'fixed' | 'sliding';

/** What a hit is answered when memcached cannot be asked; see {@link RateLimitOptions.onUnavailable}. */
export type UnavailablePolicy = 'allow' | 'deny';

/**
 * Options of every store in this package (they share one counting core, {@link RateLimitCounter}):
 * the counter's own, plus every `@memwire/core` client option (`servers`, `username`, `password`,
 * `tls`, `commandTimeout`, `failureThreshold`, …) but `ttl`, used when the store creates its client.
 * Defaults: {@link RATE_LIMIT_DEFAULTS} and the core's `DEFAULT_OPTIONS`.
 *
 * @example
 * new MemwireRateLimitStore({ servers: 'cache-1:11211,cache-2:11211', prefix: 'login:', onUnavailable: 'deny' });
 */
export interface RateLimitOptions extends Omit<ClientOptions<Value, Value>, 'ttl'> {
  /**
   * A client to use instead of creating one. The client options are then ignored, and `close()`
   * leaves the client open (it is yours to close).
   * @default undefined (the store creates a client from the options or the environment, and closes it)
   * @example new MemwireRateLimitStore({ client: createClient({ servers: 'cache:11211' }) })
   */
  client?: CounterClient | undefined;
  /**
   * Starts every counter key, so limiters sharing a memcached keep apart: give each limiter its own.
   * @default 'rl:'
   * @example new MemwireRateLimitStore({ prefix: 'login:' })
   */
  prefix?: string | undefined;
  /**
   * The window in milliseconds when the framework does not say (express-rate-limit passes its
   * `windowMs` to the store's `init`, @fastify/rate-limit its `timeWindow` and @nestjs/throttler its
   * `ttl` with every hit, and those win).
   * @default 60000
   */
  windowMs?: number | undefined;
  /**
   * `'fixed'`: windows aligned on the clock (`floor(now / windowMs)`), one counter each, exact: the
   * count is the hits of this window, and it resets at the window's end. A client can get up to twice
   * the limit across a boundary (the end of one window and the start of the next).
   * `'sliding'`: the current window's count plus the previous window's, weighted by how much of the
   * previous window still overlaps the last `windowMs` (`current + floor(previous × (1 − elapsed /
   * windowMs))`). Smooths the boundary burst; an estimate that assumes the previous window's hits
   * were spread evenly. Reads one more key per hit, in the same round trip.
   * @default 'fixed'
   */
  algorithm?: RateLimitAlgorithm | undefined;
  /**
   * When memcached cannot be asked (down, timed out, out of memory): `'allow'` lets the request
   * through as if it were the first of its window (fail open), `'deny'` answers it as over the limit
   * (fail closed). Either way the store emits an event (`'failOpen'` or `'failClosed'`) with the error.
   *
   * The default is `'allow'`: a rate limit guards a service against overuse, and an outage of its
   * cache should not become an outage of the service; memcached counters are evictable and lost on
   * restart anyway, so they are a best-effort guard, and the core fails fast on a server marked down,
   * so allowing costs no latency. Choose `'deny'` where the limit is a security control (login,
   * password reset, OTP attempts): there an attacker must not gain by knocking memcached over.
   * (express-rate-limit's own `passOnStoreError` only sees errors a store throws; this store answers
   * instead, so it applies here.)
   * @default 'allow'
   */
  onUnavailable?: UnavailablePolicy | undefined;
}

/** The counter's own defaults; the client's are the core's `DEFAULT_OPTIONS`. */
export const RATE_LIMIT_DEFAULTS = {
  prefix: 'rl:',
  windowMs: 60_000,
  algorithm: 'fixed' as RateLimitAlgorithm,
  onUnavailable: 'allow' as UnavailablePolicy,
} as const;

/** The options that belong to the client, without the counter's own. */
export function clientOptionsOf(options: RateLimitOptions): ClientOptions<Value, Value> {
  const {
    client: _client,
    prefix: _prefix,
    windowMs: _windowMs,
    algorithm: _algorithm,
    onUnavailable: _onUnavailable,
    ...clientOptions
  } = options;
  // Counters get their TTL per window; a default TTL from untyped code must not cut one short.
  return { ...clientOptions, ttl: 0 };
}
