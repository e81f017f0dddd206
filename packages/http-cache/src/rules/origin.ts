import type { CacheRequest } from '../types.js';
import { fieldValue } from './headers.js';
import { normalizeResource } from './url.js';

/** RFC 3986 §3.1. */
const SCHEME = /^[a-z][a-z0-9+.-]*$/;
/**
 * RFC 3986 §3.2.2 reg-name or IP literal, then an optional port. Nothing that would make the key
 * ambiguous: no `/`, `?`, `#`, `@`, `,` (a list of hosts), `|` (the key's separator) or whitespace.
 */
const AUTHORITY = /^(\[[0-9a-f:.]+\]|[a-z0-9._~!$&'()*+;=%-]*)(?::(\d{0,5}))?$/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * The origin a request is keyed by (RFC 9111 §4.1 keys a response by its target URI, and RFC 9110
 * §4.3.1 makes scheme, host and port its origin): `scheme://host[:port]`, lower-case, the scheme's
 * default port dropped. The scheme and host are those the application sees (the adapter's
 * `request.scheme` and `request.host`: behind a trusted proxy, X-Forwarded-Proto and -Host), else
 * the `Host` header with no scheme (`//host`). Undefined when the host cannot be keyed without
 * ambiguity (`a/b`, `a@b`, a list): such requests are not cached.
 */
export function originOf(request: CacheRequest): string | undefined {
  const scheme = request.scheme?.trim().toLowerCase() ?? '';
  if (scheme !== '' && !SCHEME.test(scheme)) return undefined;
  const host = (request.host ?? fieldValue(request.headers.host) ?? '').trim().toLowerCase();
  const match = AUTHORITY.exec(host);
  if (match === null) return undefined;
  let port = match[2];
  if (port !== undefined && port !== '') {
    const number = Number(port);
    if (number > 65535) return undefined;
    port = String(number);
  }
  const keepPort = port !== undefined && port !== '' && port !== DEFAULT_PORTS[scheme];
  return `${scheme === '' ? '' : `${scheme}:`}//${match[1]}${keepPort ? `:${port}` : ''}`;
}

/**
 * The resource a request's responses are stored under: its origin, `|`, and its name (the normalised
 * path and query, or the custom key). The name alone, without the origin, is what invalidation
 * reaches (see {@link nameOf}): memcached cannot list the hosts a path was stored for.
 */
export function resourceOf(origin: string, target: string): string {
  return `${origin}|${normalizeResource(target)}`;
}

/** The name part of a resource made by {@link resourceOf} (an origin never holds `|`). */
export function nameOf(resource: string): string {
  const bar = resource.indexOf('|');
  return bar === -1 ? resource : resource.slice(bar + 1);
}
