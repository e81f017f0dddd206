import type { CacheLocationOptions, HttpCacheOptions } from '@memwire/http-cache';
import type { FastifyRequest } from 'fastify';

/**
 * Options of the {@link responseCache} plugin: the HTTP cache's own ({@link HttpCacheOptions}, each
 * with its default in `HTTP_CACHE_DEFAULTS`), and where the cache lives. The same as
 * `@memwire/express`'s, but `key` reads a Fastify request.
 */
export interface FastifyResponseCacheOptions extends HttpCacheOptions, CacheLocationOptions {
  /**
   * The resource a request names, instead of its normalised path and query (scheme, host, method and
   * varied values are still added). @default the request's path and query (`request.url`), normalised
   */
  key?(request: FastifyRequest): string;
}

/**
 * A route's own settings, in its `config`: `{ responseCache: false }` keeps the cache out of the
 * route; `{ responseCache: { tags: ['products'] } }` tags what it stores.
 */
export type RouteCacheConfig = false | { tags?: readonly string[] | undefined };
