import type { IncomingHttpHeaders } from 'node:http';
import { isNotModified, notModifiedHeaders } from '../rules/conditional.js';
import { varyDigest } from '../rules/vary.js';
import type { StoredEntry } from '../store/entry-store.js';
import type { CacheRequest, CacheStatus, HeaderList, ServedResponse } from '../types.js';

/** A request that carries credentials: only responses that state their cacheability are shared with it. */
export function isCredentialed(headers: IncomingHttpHeaders): boolean {
  return headers['authorization'] !== undefined || headers['cookie'] !== undefined;
}

/**
 * Whether a stored response may answer this request at all, fresh or not: its varied fields match
 * (RFC 9111 §4.1), and a request with Cookie or Authorization gets only responses that said
 * `public` or stated their freshness (see decideStorage).
 */
export function isShareable(entry: StoredEntry, request: CacheRequest): boolean {
  const { meta } = entry;
  if (!meta.explicit && isCredentialed(request.headers)) return false;
  return meta.vary.length === 0 || varyDigest(meta.vary, request.headers) === meta.varyDigest;
}

/**
 * The response that answers `request` from a stored one: its status, headers and body, with `Age`
 * (RFC 9111 §5.1, whole seconds), or a 304 when the request's validators match (GET and HEAD of a
 * 2xx only, RFC 9110 §13.2.1). HEAD gets the headers of the GET, `Content-Length` included, no body.
 */
export function serveEntry(
  entry: StoredEntry,
  request: CacheRequest,
  age: number,
  cacheStatus: CacheStatus,
  statusHeader: HeaderList,
): ServedResponse {
  const { meta, body } = entry;
  const ageField: [string, string] = ['age', String(Math.max(0, Math.floor(age)))];
  if (meta.status >= 200 && meta.status < 300 && isNotModified(request.headers, meta.headers)) {
    return {
      status: 304,
      headers: [...notModifiedHeaders(meta.headers), ageField, ...statusHeader],
      body: undefined,
      cacheStatus,
    };
  }
  const headers: HeaderList = [...meta.headers, ageField, ...statusHeader];
  // RFC 9110 §8.6: no Content-Length on a 204 or a 1xx.
  if (meta.status !== 204) headers.push(['content-length', String(meta.length)]);
  return { status: meta.status, headers, body: request.method === 'HEAD' ? undefined : body, cacheStatus };
}
