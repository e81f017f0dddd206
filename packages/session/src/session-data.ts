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
  if (!hasCookie(value)) return undefined;
  // The expiry is parsed once here, for both the check and the comparison (Date.parse of a cookie's
  // ISO text is ~0.35 µs on the bench's machine, and a read used to pay it twice).
  const expires = cookieExpiry(value.cookie);
  if (expires === NOT_A_DATE) return undefined;
  const { originalMaxAge } = value.cookie;
  if (!(originalMaxAge === undefined || originalMaxAge === null || Number.isFinite(originalMaxAge)))
    return undefined;
  return expires !== undefined && expires <= now ? undefined : value;
}

/** A cookie `expires` that is neither absent, a Date, nor text that parses as a date: not a session. */
const NOT_A_DATE = Symbol('not a date');

/**
 * A stored cookie's expiry as epoch milliseconds; undefined for none (absent, null, or an invalid
 * Date, which only a custom serializer can produce), NOT_A_DATE for anything else that is not a date.
 */
function cookieExpiry(cookie: StoredSession['cookie']): number | undefined | typeof NOT_A_DATE {
  const { expires } = cookie;
  if (expires === undefined || expires === null) return undefined;
  if (typeof expires === 'string') {
    const ms = parseDate(expires);
    return Number.isNaN(ms) ? NOT_A_DATE : ms;
  }
  if (expires instanceof Date) return Number.isNaN(expires.getTime()) ? undefined : expires.getTime();
  return NOT_A_DATE;
}

/** An object with a `cookie` object: what express-session dereferences; its fields are checked apart. */
function hasCookie(value: unknown): value is StoredSession {
  return isRecord(value) && isRecord(value.cookie);
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
  if (typeof expires === 'string') return parseDate(expires);
  return undefined;
}

/** Days in each month of a common year; February gets its leap day in parseDate. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `Date.parse(text)`, computed here for the one shape a session's expiry has once serialised —
 * `Date#toISOString()`'s `YYYY-MM-DDTHH:mm:ss.sssZ`, with every field in range — and left to
 * `Date.parse` for anything else (other shapes, day 31 of a 30-day month, hour 24…), so the result is
 * always Date.parse's. Why: Date.parse goes through V8's general date tokenizer, ~0.35 µs a call on
 * the bench's machine, and a session read and write each parse the cookie's expiry (issue 14).
 */
export function parseDate(text: string): number {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 0x2d || // -
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 || // T
    text.charCodeAt(13) !== 0x3a || // :
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(19) !== 0x2e || // .
    text.charCodeAt(23) !== 0x5a // Z
  )
    return Date.parse(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
  // digits() is -1 for a non-digit, so one range check per field covers both.
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Date.parse(text);
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Date.parse(text);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!)) return Date.parse(text);
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), years from March.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146_097 + dayOfEra - 719_468;
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + ms;
}

/** The decimal number in `count` characters of `text` from `start`, or -1 if one is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
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
