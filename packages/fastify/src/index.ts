export {
  type CacheClient,
  type CacheStatus,
  HTTP_CACHE_DEFAULTS,
  type HttpCacheOptions,
} from '@memwire/http-cache';
export type { FastifyResponseCacheOptions, RouteCacheConfig } from './options.js';
export { type ResponseCacheControls, responseCache } from './plugin.js';
