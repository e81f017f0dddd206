import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * The `X-Cache` values: served fresh from the cache, from the origin, stale from the cache, not
 * cached, or the stored body sent after the origin answered the cache's conditional request with 304.
 */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS' | 'REVALIDATED';

/** Response header fields in order, as name/value pairs with lower-case names. */
export type HeaderList = Array<[name: string, value: string]>;

/** A request as the cache sees it, whatever the framework. */
export interface CacheRequest {
  /** Upper-case method. */
  method: string;
  /** The request target as received: path and query (an absolute URL is accepted too). */
  url: string;
  /** Node's request headers: lower-case names. */
  headers: IncomingHttpHeaders;
  /** A custom resource key replacing the URL (the `key` option), before normalisation. */
  resource?: string | undefined;
  /**
   * The scheme as the application sees it (`'http'`, `'https'`; Express's `req.protocol`, which
   * honours `trust proxy` and X-Forwarded-Proto). Part of the key. Undefined: unknown, keyed without.
   */
  scheme?: string | undefined;
  /**
   * The host, with its port if any, as the application sees it (behind a trusted proxy,
   * X-Forwarded-Host). Part of the key, lower-cased, a default port dropped. Undefined: the `Host` header.
   */
  host?: string | undefined;
  /**
   * Sends a request through the application's own stack, for a stale-while-revalidate refresh in
   * the background (the adapter injects it, e.g. with light-my-request). Without it, the first
   * request in the window waits for the origin itself.
   */
  refresh?: ((request: RefreshRequest) => Promise<unknown>) | undefined;
}

/** A request the cache sends through the application by itself (see {@link CacheRequest.refresh}). */
export interface RefreshRequest {
  method: 'GET';
  /** The original request's target. */
  url: string;
  /** Only the keyed and Vary'd fields of the original request, and the cache's refresh token. */
  headers: IncomingHttpHeaders;
}

/** The origin's status and headers at the moment its head was written. */
export interface OriginHead {
  status: number;
  /** Lower-case names, as `res.getHeaders()` gives them. */
  headers: OutgoingHttpHeaders;
  /** See {@link OriginResponse.inherited}: a 304 that refreshes a stored response needs them too. */
  inherited?: ReadonlyMap<string, string> | undefined;
}

/** What the origin answered, once its body is complete. */
export interface OriginResponse extends OriginHead {
  /** The body bytes exactly as the application wrote them; undefined when they were not kept (too large). */
  body: Buffer | undefined;
  /**
   * Header names already set before the cache passed the request on (by middleware in front of it):
   * they count for the caching decision but are not stored, since that middleware sets them again
   * on every request.
   */
  inherited?: ReadonlyMap<string, string> | undefined;
  /** Tags to invalidate the stored response by. */
  tags?: readonly string[] | undefined;
  /** The response carried `Set-Cookie` by the time it ended (headers added late by hooks included). */
  setCookie?: boolean | undefined;
}

/** A response the cache answers with, ready to write. */
export interface ServedResponse {
  status: number;
  headers: HeaderList;
  /** Undefined for HEAD and 304: headers only. */
  body: Buffer | undefined;
  cacheStatus: CacheStatus;
}
