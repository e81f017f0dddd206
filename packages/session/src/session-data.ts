import type { SessionSerializer, StoredSession } from './options.js';

/**
 * The session in what memcached returned, or undefined when it is not one. Anything can sit under a
 * session key (another app sharing the prefix, a tenant writing bytes, a truncated write), and
 * express-session dereferences `session.cookie.expires` on whatever a store returns: so a value that
 * does not parse, or parses to anything but an object with a `cookie` object, is a miss, never a crash.
 * - text (flag 0, as this store writes it) and bytes (flags the codec does not know) go through the
 *   serializer;
 * - an object the codec decoded (flag 2, JSON, as node `memcached` stores objects) is checked as it is;
 * - a session whose cookie has expired is a miss too, whatever TTL the item was given.
 */
export function sessionFrom(
  stored: unknown,
  serializer: SessionSerializer,
  now = Date.now(),
): StoredSession | undefined {
  let value: unknown = stored;
  if (typeof stored === 'string' || stored instanceof Uint8Array) {
    const text = typeof stored === 'string' ? stored : Buffer.from(stored).toString('utf8');
    try {
      value = serializer.parse(text);
    } catch {
      return undefined;
    }
  }
  if (!isSession(value)) return undefined;
  const expires = expiryOf(value.cookie);
  return expires !== undefined && expires <= now ? undefined : value;
}

function isSession(value: unknown): value is StoredSession {
  if (!isRecord(value) || !isRecord(value.cookie)) return false;
  const { expires, originalMaxAge } = value.cookie;
  if (expires !== undefined && expires !== null && !(typeof expires === 'string' || expires instanceof Date))
    return false;
  if (typeof expires === 'string' && Number.isNaN(Date.parse(expires))) return false;
  return originalMaxAge === undefined || originalMaxAge === null || Number.isFinite(originalMaxAge);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** The cookie's expiry as epoch milliseconds, or undefined for a browser-session cookie. */
function expiryOf(cookie: StoredSession['cookie']): number | undefined {
  const { expires } = cookie;
  if (expires instanceof Date) return Number.isNaN(expires.getTime()) ? undefined : expires.getTime();
  if (typeof expires === 'string') return Date.parse(expires);
  return undefined;
}

/**
 * Seconds the item for `session` should live: until its cookie expires (rounded up, so it never
 * dies before the cookie does), else `fallback`. Zero or less means already expired. Both
 * express-session and @fastify/session keep `cookie.expires` (a Date in memory, a string once
 * serialised) whenever a `maxAge` is set, so `expires` is the one field to read.
 */
export function ttlOf(
  session: StoredSession,
  fallback: number | ((session: StoredSession) => number),
  now = Date.now(),
): number {
  const expires = expiryOf(session.cookie);
  if (expires !== undefined) return Math.ceil((expires - now) / 1000);
  return typeof fallback === 'function' ? fallback(session) : fallback;
}
