import type { IncomingHttpHeaders } from 'node:http';

/** The metadata key `@CacheResponse()` stores its options under. */
export const CACHE_RESPONSE_OPTIONS = 'memwire:cache-response';

/**
 * The request as a `key` or `tags` function sees it: the platform's own (Express's `Request`,
 * Fastify's `FastifyRequest`). Name yours: `@CacheResponse<Request>({ key: (req) => … })`.
 */
export interface CacheResponseRequest {
  method?: string | undefined;
  url?: string | undefined;
  originalUrl?: string | undefined;
  headers: IncomingHttpHeaders;
  params?: Record<string, string> | undefined;
  query?: unknown;
}

/** Options of {@link CacheResponse}. The HTTP rules themselves are the module's `responseCache` options. */
export interface CacheResponseOptions<Request = CacheResponseRequest> {
  /**
   * Seconds a response is kept when it states no freshness of its own (no `s-maxage`, `max-age` or
   * `Expires`), and only then for a request without `Cookie` or `Authorization` (or a `public`
   * response). A response's own `Cache-Control` always wins. 0 stores only responses that state it.
   * @default the module's `responseCache.ttl` (60)
   */
  ttl?: number | undefined;
  /**
   * Tags to invalidate the stored response by (`MemwireResponseCache.invalidateTags`), fixed or
   * from the request. A handler can add more with the `X-Cache-Tags` header, or on Express in
   * `res.locals.cacheTags`.
   * @default none
   */
  tags?: readonly string[] | ((request: Request) => readonly string[]) | undefined;
  /**
   * The resource a request names, instead of its path and query (the scheme and host the platform
   * sees, the method and the `Vary` values are still added): a path (normalised like URLs, so
   * `invalidate(path)` finds it) or any other string. A fixed string makes every request of the
   * route, on one host, share one resource.
   * @default the request's path and query
   * @example key: (req) => `/products/${req.params.id}` // ignores the query string
   */
  key?: string | ((request: Request) => string) | undefined;
  /**
   * The named client whose response cache stores the route (`MemwireModule.forRoot({ name })`).
   * @default 'default'
   */
  client?: string | undefined;
}
