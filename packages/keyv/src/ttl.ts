import type { WriteOptions } from '@memwire/core';

/**
 * Keyv's TTL (milliseconds) as the core's write options (seconds). The core rounds a fraction up, so
 * 500 ms is sent as 1 s and expires within about a second instead of becoming 0, memcached's "never"
 * (what `Math.floor(ttl / 1000)` in @keyv/memcache does); it sends a TTL over 30 days as an absolute
 * time (protocol.txt), and a negative one as "expire at once".
 *
 * `undefined` (no TTL from Keyv), `0` and `Infinity` mean "never expire", as in Keyv, whatever
 * default `ttl` a client passed in was given.
 *
 * @example
 * toWriteOptions(500); // { ttl: 0.5 }, sent as 1
 * toWriteOptions(undefined); // { ttl: 0 }: never expire
 */
export function toWriteOptions(ttlMs: number | undefined): WriteOptions {
  if (ttlMs === undefined || ttlMs === Number.POSITIVE_INFINITY) return { ttl: 0 };
  // NaN and other non-numbers reach the core, which rejects them with ERR_MEMWIRE_INVALID_ARGUMENT.
  return { ttl: ttlMs / 1000 };
}
