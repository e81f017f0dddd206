import { InvalidArgumentError } from '../errors.js';

/** protocol.txt: an exptime over 30 days (2,592,000 s) is read as an absolute Unix time. */
export const MAX_RELATIVE_TTL = 60 * 60 * 24 * 30;

/**
 * The latest absolute exptime memcached keeps: 2^31 − 1 (2038-01-19). Seen on memcached 1.6.18:
 * `set b 0 2147483648 1` answers `STORED`, then `get b` misses (the item is silently dropped);
 * `set a 0 2147483647 1` is kept.
 */
export const MAX_EXPTIME = 2 ** 31 - 1;

/**
 * A TTL in seconds to memcached's exptime: 0 = never expire; negative = expire at once (-1);
 * fractions round up (0.5 s must not become 0, "never"); over 30 days becomes `now + ttl` as a
 * Unix time, so a 60-day TTL works where memcached would read 5184000 as a date in 1970; an
 * absolute time past {@link MAX_EXPTIME} is clamped to it (kept until 2038, not dropped at once).
 */
export function toExptime(ttl: number, nowMs: number = Date.now()): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) {
    throw new InvalidArgumentError(`ttl must be a finite number of seconds, got ${String(ttl)}`);
  }
  if (ttl === 0) return 0;
  if (ttl < 0) return -1;
  const seconds = Math.ceil(ttl);
  if (seconds <= MAX_RELATIVE_TTL) return seconds;
  return Math.min(Math.floor(nowMs / 1000) + seconds, MAX_EXPTIME);
}
