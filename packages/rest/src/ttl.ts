import { MAX_RELATIVE_TTL } from '@memwire/core';
import { HttpError, RouterErrorCodes } from './http-errors.js';

/**
 * A TTL as memcached reads an exptime (protocol.txt): 0 never expires, up to 30 days is seconds from
 * now, above that an absolute Unix time, negative expires at once. Turned into the relative seconds
 * the client takes (which sends long ones back as absolute times). Absent means 0.
 */
export function ttlFromMemcachedExptime(ttl: unknown, key: string, nowMs = Date.now()): number {
  if (ttl === undefined || ttl === null) return 0;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl)) {
    throw new HttpError(
      400,
      RouterErrorCodes.BAD_REQUEST,
      `ttl of ${JSON.stringify(key)} must be a whole number of seconds`,
    );
  }
  if (ttl <= MAX_RELATIVE_TTL) return ttl < 0 ? -1 : ttl;
  const relative = ttl - Math.floor(nowMs / 1000);
  return relative > 0 ? relative : -1;
}
