// The engine: what to do with a request (HttpCache.begin), and the cache's controls.

export type { CacheClient } from './client.js';
export { HTTP_CACHE_DEFAULTS, type HttpCacheOptions, unsentFields } from './config.js';
export type { Exchange } from './engine/exchange.js';
export { HttpCache } from './engine/http-cache.js';
export { type AdapterCache, adapterCache, type CacheLocationOptions } from './node/adapter-cache.js';
export { type AppOrigin, appOrigin } from './node/app-origin.js';
export { type Captured, type CaptureHooks, captureResponse } from './node/capture.js';
export { capturedBytesHeld } from './node/capture-budget.js';
export { expressRefresh, withoutInjectedAgent } from './node/inject-refresh.js';
// Node's request and response: what every framework adapter calls.
export { type ExchangeIO, localTags, runExchange } from './node/run-exchange.js';
export { type CacheStatusMessage, cacheStatusChannel } from './node/status-channel.js';
export { headerSnapshot, removeOnHead, setHeaders, writeServed } from './node/write-served.js';
export { normalizeUrl } from './rules/url.js';
export type {
  CacheRequest,
  CacheStatus,
  HeaderList,
  OriginHead,
  OriginResponse,
  RefreshRequest,
  ServedResponse,
} from './types.js';
