import type { CacheLocationOptions, HttpCacheOptions } from '@memwire/http-cache';
import type { RequestLike } from './types.js';

/**
 * Options of {@link responseCache}: the HTTP cache's own ({@link HttpCacheOptions}, each with its
 * default in `HTTP_CACHE_DEFAULTS`), and where the cache lives.
 */
export interface ResponseCacheOptions extends HttpCacheOptions, CacheLocationOptions {
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
