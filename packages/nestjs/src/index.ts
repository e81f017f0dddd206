// The recipes for @nestjs/cache-manager (createKeyv, memwireStore, …) are in `@memwire/nestjs/recipes`.
export type { Client, ClientOptions } from '@memwire/core';
export type { HttpCacheOptions } from '@memwire/http-cache';
export {
  MEMWIRE_PING_DEFAULTS,
  MemwireHealthIndicator,
  type MemwireHealthResult,
  type MemwirePingOptions,
} from './health/memwire-health.indicator.js';
export type { MemwireServerHealth } from './health/ping.js';
export { MemwireModule } from './memwire.module.js';
export type {
  MemwireClientOptions,
  MemwireModuleAsyncOptions,
  MemwireModuleOptions,
  MemwireOptionsFactory,
} from './options.js';
export { CacheResponseInterceptor } from './response-cache/cache-response.interceptor.js';
export { CacheResponse } from './response-cache/cache-response.js';
export { MemwireResponseCache } from './response-cache/memwire-response-cache.js';
export {
  CACHE_RESPONSE_OPTIONS,
  type CacheResponseOptions,
  type CacheResponseRequest,
} from './response-cache/metadata.js';
export {
  DEFAULT_MEMWIRE_NAME,
  getMemwireResponseCacheToken,
  getMemwireToken,
  InjectMemwire,
  InjectResponseCache,
} from './tokens.js';
