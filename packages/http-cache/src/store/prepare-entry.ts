import { decideStorage } from '../rules/freshness.js';
import { flattenHeaders, headersToStore } from '../rules/headers.js';
import { varyDigest } from '../rules/vary.js';
import type { CacheRequest, OriginResponse } from '../types.js';
import type { EntryMeta } from './entry-format.js';
import type { StoredEntry } from './entry-store.js';

/** A response the cache will store: the entry as it is written, and how long memcached keeps it. */
export interface Prepared {
  /** The entry as this process's waiting requests get it at once (tag generations are added when written). */
  entry: StoredEntry;
  /** Seconds memcached keeps it. */
  itemTtl: number;
  tags: string[];
}

export interface PrepareOptions {
  /** Freshness lifetime of a response that states none (the `ttl` option). */
  defaultTtl: number;
  /** Header names that are the cache's own (its status header, the tag header): never stored. */
  notStored: (name: string) => boolean;
  /** RFC 9213 targeted fields obeyed, lower-case, in precedence order. @default [] */
  targeted?: readonly string[] | undefined;
}

/**
 * The entry to store for an origin response, or undefined when it must not be stored: too large to
 * have been kept, a cookie set at the last moment, or refused by the RFC 9111 rules (decideStorage).
 * The caching decision sees every header; what is stored leaves out the headers middleware in front
 * of the cache set (they are set again on every request) and the cache's own.
 */
export function prepareEntry(
  request: CacheRequest,
  response: OriginResponse,
  options: PrepareOptions,
): Prepared | undefined {
  const { body, status, inherited, setCookie } = response;
  if (body === undefined || setCookie === true) return undefined;
  const headers = flattenHeaders(response.headers);
  const decision = decideStorage(request, status, headers, {
    defaultTtl: options.defaultTtl,
    targeted: options.targeted,
  });
  if (!decision.storable) return undefined;
  const stored = headersToStore(
    headers,
    (name) => options.notStored(name) || (inherited !== undefined && inherited.get(name) === headers[name]),
  );
  const meta: EntryMeta = {
    kind: 'entry',
    status,
    headers: stored,
    policy: decision.policy,
    explicit: decision.explicit,
    noStale: decision.noStale,
    vary: decision.vary,
    varyDigest: decision.vary.length > 0 ? varyDigest(decision.vary, request.headers) : undefined,
    length: body.length,
  };
  const tags = [...new Set(response.tags ?? [])].filter((tag) => tag !== '');
  return { entry: { meta, body }, itemTtl: decision.itemTtl, tags };
}
