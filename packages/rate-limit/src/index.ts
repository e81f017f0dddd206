export { parseCount } from './count.js';
export {
  type Hits,
  RateLimitCounter,
  type RateLimitEvents,
  type WindowOptions,
} from './counter.js';
export type { CounterClient } from './counter-client.js';
export { type ExpressRateLimitInfo, type ExpressRateLimitInit, MemwireRateLimitStore } from './express.js';
export {
  type FastifyRateLimitCallback,
  type FastifyRateLimitState,
  type FastifyRateLimitStore,
  type FastifyRateLimitStoreClass,
  fastifyRateLimitStore,
} from './fastify.js';
export { keyPart, MAX_PLAIN_KEY_BYTES, windowKey } from './keys.js';
export { MemwireThrottlerStorage, type ThrottlerRecord } from './nest.js';
export {
  RATE_LIMIT_DEFAULTS,
  type RateLimitAlgorithm,
  type RateLimitOptions,
  type UnavailablePolicy,
} from './options.js';
