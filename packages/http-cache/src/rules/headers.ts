import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { HeaderList } from '../types.js';

/**
 * RFC 9110 §7.6.1: hop-by-hop fields describe one connection, so a cache never stores or forwards
 * them (`proxy-connection` and `keep-alive` are the legacy ones still seen on the wire).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Never stored: `Set-Cookie` (one user's cookie must never reach another), `Age` (recomputed on every
 * hit), `Content-Length` (recomputed from the stored body, which is what is sent).
 */
const NEVER_STORED = new Set(['set-cookie', 'age', 'content-length']);

type HeaderValue = number | string | readonly string[] | undefined;

/** A field value as one string: list fields joined with ", " (RFC 9110 §5.3). */
export function fieldValue(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value.join(', ');
}

/** Headers as a plain name → string map, for http-cache-semantics. */
export function flattenHeaders(headers: OutgoingHttpHeaders | IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = fieldValue(headers[name]);
    if (value !== undefined) flat[name] = value;
  }
  return flat;
}

/**
 * The header fields to store with a response: all but the hop-by-hop ones (and those its
 * `Connection` field names), the never-stored ones, and those `skip` names.
 */
export function headersToStore(headers: Record<string, string>, skip: (name: string) => boolean): HeaderList {
  const connectionNamed = new Set(
    (headers['connection'] ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
  const stored: HeaderList = [];
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || NEVER_STORED.has(name) || connectionNamed.has(name) || skip(name)) continue;
    stored.push([name, headers[name]!]);
  }
  return stored;
}

/** The value of `name` in a header list (names are lower-case). */
export function findHeader(headers: HeaderList, name: string): string | undefined {
  for (const [field, value] of headers) if (field === name) return value;
  return undefined;
}

/** Whether `name` (lower-case) is a field the cache never stores: hop-by-hop, Set-Cookie, Age, Content-Length. */
export function isNeverStored(name: string): boolean {
  return HOP_BY_HOP.has(name) || NEVER_STORED.has(name);
}
