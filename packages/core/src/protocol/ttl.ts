import { InvalidArgumentError } from '../errors.js';

/** protocol.txt: an exptime over 30 days (2,592,000 s) is read as an absolute Unix time. */
export const MAX_RELATIVE_TTL = 60 * 60 * 24 * 30;

/**
 * The last absolute exptime memcached keeps: 2^31 − 1 (2038-01-19). memcached 1.6 reads exptime into
 * a 32-bit time: a real server answered STORED to `set t 0 2147483648 1` and then missed on `get t`
 * (also for 4294967295 and 9999999999), so a larger value is reported stored and expires at once.
 */
export const MAX_EXPTIME = 0x7fffffff;

/**
 * A TTL in seconds to memcached's exptime: 0 = never expire; negative = expire at once (-1);
 * fractions round up (0.5 s must not become 0, "never"); over 30 days becomes `now + ttl` as a
 * Unix time, so a 60-day TTL works where memcached would read 5184000 as a date in 1970. A TTL
 * whose end passes {@link MAX_EXPTIME} is clamped to it, the longest a value can live, rather than
 * sent as a time memcached would read as "already expired". NaN and ±Infinity are refused.
 */
export function toExptime(ttl: number, nowMs?: number): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) {
    throw new InvalidArgumentError(`ttl must be a finite number of seconds, got ${String(ttl)}`);
  }
  if (ttl === 0) return 0;
  if (ttl < 0) return -1;
  const seconds = Math.ceil(ttl);
  if (seconds <= MAX_RELATIVE_TTL) return seconds;
  // The clock is read only here: most TTLs are relative, and this runs on every write.
  return Math.min(Math.floor((nowMs ?? Date.now()) / 1000) + seconds, MAX_EXPTIME);
}
