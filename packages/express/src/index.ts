// The engine's controls and types, for applications that use them beside the middleware.
export {
  type CacheClient,
  type CacheStatus,
  capturedBytesHeld,
  HTTP_CACHE_DEFAULTS,
  type HttpCacheOptions,
  normalizeUrl,
} from '@memwire/http-cache';
export { type ResponseCacheMiddleware, responseCache } from './express/middleware.js';
export type { ResponseCacheOptions } from './express/options.js';
export type { NextFunction, RequestLike, ResponseLike } from './express/types.js';
