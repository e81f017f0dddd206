export { type AppOrigin, appOrigin } from './express/app-origin.js';
export { type Captured, type CaptureHooks, captureResponse } from './express/capture.js';
export { capturedBytesHeld } from './express/capture-budget.js';
export { expressRefresh, withoutInjectedAgent } from './express/inject-refresh.js';
export { type ResponseCacheMiddleware, responseCache } from './express/middleware.js';
export type { ResponseCacheOptions } from './express/options.js';
export type { NextFunction, RequestLike, ResponseLike } from './express/types.js';
export { headerSnapshot, removeOnHead, setHeaders, writeServed } from './express/write-served.js';
export type { CacheClient } from './http/client.js';
export { HTTP_CACHE_DEFAULTS, type HttpCacheOptions } from './http/config.js';
export type { Exchange } from './http/exchange.js';
export { HttpCache } from './http/http-cache.js';
export type {
  CacheRequest,
  CacheStatus,
  HeaderList,
  OriginHead,
  OriginResponse,
  RefreshRequest,
  ServedResponse,
} from './http/types.js';
export { normalizeUrl } from './http/url.js';
export { HttpError, RouterErrorCodes } from './router/http-errors.js';
export { CACHE_ROUTER_DEFAULTS, type CacheRouterOptions } from './router/options.js';
export { type CacheRouter, cacheRouter } from './router/router.js';
