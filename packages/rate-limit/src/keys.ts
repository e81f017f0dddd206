import { createHash } from 'node:crypto';
import { keyProblem } from '@memwire/core';

/**
 * The longest `prefix + key` sent as it is. memcached allows 250 bytes (protocol.txt); the rest is
 * room for the window suffix (`:<windowMs>:<index>`, at most 34 bytes) and a client's `keyPrefix`.
 */
export const MAX_PLAIN_KEY_BYTES = 160;

/** Marks a hashed key. A plain key never starts with it, so no key can be made to equal another's hash. */
const HASHED = 'sha256:';

/**
 * The memcached key part for a caller's key (an IP, a user id, a header's value), within `scope`
 * (a route, for stores whose routes count apart) when given. The key comes from the request: a
 * client chooses it through `X-Forwarded-For`, a user name or a route, so it may hold spaces,
 * `\r\n`, control characters or kilobytes. Such a key would be refused by the core (or, sent,
 * inject a command), so it is replaced by `sha256:` + base64url(sha256(…)): 50 safe bytes, the same
 * for every process. Keys already safe and short stay readable (`rl:203.0.113.7`) unless they start
 * with `sha256:`, and scoped keys are always hashed, of a tagged input (`k` + key, or `s` +
 * JSON [scope, key]): so no key a client picks can equal another key's form, or a key of a route.
 */
export function keyPart(prefix: string, key: string, scope?: string): string {
  if (scope === undefined) {
    const plain = prefix + key;
    const safe =
      Buffer.byteLength(plain) <= MAX_PLAIN_KEY_BYTES &&
      keyProblem(plain) === undefined &&
      !key.startsWith(HASHED);
    if (safe) return plain;
  }
  const input = scope === undefined ? `k${key}` : `s${JSON.stringify([scope, key])}`;
  return `${prefix}${HASHED}${createHash('sha256').update(input).digest('base64url')}`;
}

/**
 * The key of one window's counter: the window length is part of it, so limiters with different
 * windows on one key never share a counter, and the index (`floor(now / windowMs)`) makes a new
 * counter for each window, whose start and end every process knows from the key alone.
 */
export function windowKey(part: string, windowMs: number, index: number): string {
  return `${part}:${windowMs}:${index}`;
}
