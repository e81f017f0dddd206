import { ConfigError } from '@memwire/core';
import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { CacheResponseInterceptor } from './cache-response.interceptor.js';
import { CACHE_RESPONSE_OPTIONS, type CacheResponseOptions, type CacheResponseRequest } from './metadata.js';

/**
 * Caches a route's whole HTTP response (status, headers, body) in memcached, by the rules of a
 * shared cache (RFC 9111), with `@memwire/express`'s implementation: `private`, `no-store` and
 * `Set-Cookie` responses are never stored, `Authorization` requests are shared only when the
 * response allows it, `Vary` is honoured, `If-None-Match` gets a 304, `stale-while-revalidate`
 * serves stale while one refresh runs in the background, a stale response with a validator is
 * revalidated; every response says `X-Cache: HIT | MISS | STALE | BYPASS | REVALIDATED`.
 * On a POST, PUT, PATCH or DELETE route, a success invalidates the URL instead. Use it on a handler
 * or a controller. The client's `MemwireModule` must be registered in the application.
 *
 * @example
 * @Get(':id')
 * @CacheResponse({ ttl: 30, tags: ['products'] })
 * findOne(@Param('id') id: string) { return this.products.find(id); }
 */
export function CacheResponse<Request = CacheResponseRequest>(
  options: CacheResponseOptions<Request> = {},
): ReturnType<typeof applyDecorators> {
  const { ttl } = options;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0)) {
    throw new ConfigError(`@CacheResponse ttl must be a finite number of seconds ≥ 0, got ${String(ttl)}`);
  }
  return applyDecorators(
    SetMetadata(CACHE_RESPONSE_OPTIONS, options),
    UseInterceptors(CacheResponseInterceptor),
  );
}
