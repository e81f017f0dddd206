import type { ClientOptions } from '@memwire/core';
import type { CacheClient, HttpCacheOptions } from '@memwire/http-cache';
import type { RequestLike } from './types.js';

/**
 * Options of {@link responseCache}: the HTTP cache's own ({@link HttpCacheOptions}, each with its
 * default in `HTTP_CACHE_DEFAULTS`), and where the cache lives.
 */
export interface ResponseCacheOptions extends HttpCacheOptions {
  /**
   * The memwire client to store responses with; create it with `hashLongKeys: true` (URLs exceed
   * memcached's 250-byte keys; without it, requests with long URLs are not cached). You close it.
   * @default a client the middleware creates from `memcached` and closes in `close()`
   */
  client?: CacheClient | undefined;
  /**
   * Options of the client the middleware creates when `client` is not given (it adds
   * `hashLongKeys: true` and the raw codec). @default {} (the environment's `MEMCACHE_*`, else 127.0.0.1:11211)
   */
  memcached?: Omit<ClientOptions, 'codec' | 'hashLongKeys'> | undefined;
  /**
   * The resource a request names, instead of its normalised path and query (the scheme and host the
   * application sees, the method and the varied header values are still added). Use it to ignore
   * tracking parameters, or to key by a request field the application reads but `Vary` does not
   * name. Return a path (normalised like URLs, so `invalidate(path)` finds it) or any other string.
   * @default the request's path and query (`req.originalUrl`), normalised
   * @example `key: (req) => (req.originalUrl ?? '/').split('?')[0]!` // one entry whatever the query
   */
  key?(req: RequestLike): string;
}
