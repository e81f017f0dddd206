export { HttpError, RouterErrorCodes } from './http-errors.js';
export { CACHE_ROUTER_DEFAULTS, type CacheRouterOptions } from './options.js';
export { type CacheRouter, cacheRouter, type NextFunction } from './router.js';
