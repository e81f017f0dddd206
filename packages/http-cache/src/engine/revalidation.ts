import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';
import { fieldValue, flattenHeaders } from '../rules/headers.js';
import type { StoredEntry } from '../store/entry-store.js';
import type { CacheRequest } from '../types.js';

/**
 * A validation request in progress (RFC 9111 §4.3.1): the stored response it may refresh, the headers
 * the origin is to see, and the policy that judges whether the origin's 304 is about that response.
 */
export interface Revalidation {
  entry: StoredEntry;
  /** The request's headers with the cache's `If-None-Match` / `If-Modified-Since` (a copy). */
  requestHeaders: IncomingHttpHeaders;
  policy: CachePolicy;
}

const CONDITIONALS = ['if-none-match', 'if-modified-since'] as const;

/**
 * RFC 9111 §3.2: fields a 304 never updates. The stored body is reused, so the fields describing it
 * stay (http-cache-semantics' `excludedFromRevalidationUpdate`).
 */
const KEEP_STORED = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range']);

/**
 * The conditional request for a stale `entry`, by http-cache-semantics' `revalidationHeaders()`: its
 * `ETag` into `If-None-Match`, its `Last-Modified` into `If-Modified-Since`. A client's own
 * `If-None-Match` is kept and the stored tag added to its list (RFC 9111 §4.3.2 allows combining
 * them), so a 304 may be about the client's copy rather than ours; {@link refreshed} tells which.
 * Undefined when the entry has no validator, so there is nothing to ask about.
 */
export function planRevalidation(entry: StoredEntry, request: CacheRequest): Revalidation | undefined {
  const { meta } = entry;
  if (meta.status !== 200) return undefined;
  const stored = Object.fromEntries(meta.headers);
  if (stored['etag'] === undefined && stored['last-modified'] === undefined) return undefined;
  const policyRequest = {
    method: 'GET',
    url: request.url,
    headers: { ...request.headers } as CachePolicy.Headers,
  };
  const policy = new CachePolicy(policyRequest, { status: meta.status, headers: stored }, { shared: true });
  const asked = policy.revalidationHeaders(policyRequest);
  const requestHeaders: IncomingHttpHeaders = { ...request.headers };
  let added = false;
  for (const name of CONDITIONALS) {
    const value = fieldValue(asked[name]);
    if (value === undefined) delete requestHeaders[name];
    else requestHeaders[name] = value;
    if (value !== undefined && value !== request.headers[name]) added = true;
  }
  return added ? { entry, requestHeaders, policy } : undefined;
}

/**
 * The stored response refreshed by the origin's 304 (RFC 9111 §4.3.4), as full header fields for a
 * 200 with the stored body; undefined when the 304 is not about the stored response (its validator
 * differs: it answers the client's own conditional, and is passed on as it is).
 */
export function refreshed(
  revalidation: Revalidation,
  head: { status: number; headers: OutgoingHttpHeaders },
): Record<string, string> | undefined {
  if (head.status !== 304) return undefined;
  const fresh = flattenHeaders(head.headers);
  const { policy, entry } = revalidation;
  const { matches, modified } = policy.revalidatedPolicy(
    { method: 'GET', headers: revalidation.requestHeaders as CachePolicy.Headers },
    { status: 304, headers: fresh },
  );
  if (!matches || modified) return undefined;
  // §3.2: every field of the 304 is added to the stored response, replacing those present (the
  // library merges only fields the stored response already had).
  const merged: Record<string, string> = Object.fromEntries(entry.meta.headers);
  for (const name of Object.keys(fresh)) if (!KEEP_STORED.has(name)) merged[name] = fresh[name]!;
  // Node adds Date when the head goes out, after the capture saw it: the 304 is from now, so a Date
  // kept from the stored response would make the refreshed one as old as before.
  if (fresh['date'] === undefined && merged['date'] !== undefined) merged['date'] = new Date().toUTCString();
  return merged;
}
