import { RateLimitCounter } from './counter.js';
import type { RateLimitOptions } from './options.js';

/** A key's state as @fastify/rate-limit reads it: hits, and ms until the window ends. */
export interface FastifyRateLimitState {
  current: number;
  ttl: number;
}

/** @fastify/rate-limit's callback: an error, or the state. */
export type FastifyRateLimitCallback = (error: Error | null, state?: FastifyRateLimitState) => void;

/** The route in what `child` is given: the route's options, under `routeInfo` in @fastify/rate-limit 10 and 11. */
interface RouteInfo {
  method?: unknown;
  url?: unknown;
}

/** A store instance, as @fastify/rate-limit uses it. */
export interface FastifyRateLimitStore {
  incr(key: string, callback: FastifyRateLimitCallback, timeWindow?: number, max?: number): void;
  read(key: string, callback: FastifyRateLimitCallback, timeWindow?: number): void;
  /** A store for one route with its own `config.rateLimit`, given the route's options. */
  child(routeOptions: object): FastifyRateLimitStore;
}

/** The class @fastify/rate-limit's `store` option takes: it constructs it with its own options. */
export type FastifyRateLimitStoreClass = new (pluginOptions?: unknown) => FastifyRateLimitStore;

/**
 * A @fastify/rate-limit (9 to 11) `store` on memcached, one exact count per key shared by every
 * process (see {@link RateLimitCounter}). The plugin constructs its store itself, so this returns
 * the class to give it, bound to one counter; close the counter when the app closes (`onClose`).
 * Routes with their own `config.rateLimit` count apart from the global limit and from each other.
 * `continueExceeding` and `exponentialBackoff` are not supported: windows are aligned on the clock.
 *
 * @example
 * import rateLimit from '@fastify/rate-limit';
 * import { fastifyRateLimitStore, RateLimitCounter } from '@memwire/rate-limit';
 *
 * const counter = new RateLimitCounter({ servers: 'cache:11211' });
 * await app.register(rateLimit, { max: 100, timeWindow: 60_000, store: fastifyRateLimitStore(counter) });
 * app.addHook('onClose', () => counter.close());
 */
export function fastifyRateLimitStore(
  options: RateLimitOptions | RateLimitCounter = {},
): FastifyRateLimitStoreClass {
  const counter = options instanceof RateLimitCounter ? options : new RateLimitCounter(options);
  return class MemwireFastifyStore extends FastifyStore {
    constructor() {
      super(counter, undefined);
    }
  };
}

class FastifyStore implements FastifyRateLimitStore {
  constructor(
    private readonly counter: RateLimitCounter,
    /** The route this store counts for (`GET /login`), or undefined for the global limit. */
    private readonly scope: string | undefined,
  ) {}

  incr(key: string, callback: FastifyRateLimitCallback, timeWindow?: number, max?: number): void {
    this.counter.increment(key, { windowMs: timeWindow, limit: max, scope: this.scope }).then(
      (hits) => callback(null, { current: hits.totalHits, ttl: Math.max(0, hits.resetTime - Date.now()) }),
      (error: Error) => callback(error),
    );
  }

  read(key: string, callback: FastifyRateLimitCallback, timeWindow?: number): void {
    this.counter.get(key, { windowMs: timeWindow, scope: this.scope }).then(
      (hits) =>
        callback(
          null,
          hits === undefined
            ? { current: 0, ttl: 0 }
            : { current: hits.totalHits, ttl: Math.max(0, hits.resetTime - Date.now()) },
        ),
      (error: Error) => callback(error),
    );
  }

  child(routeOptions: object): FastifyRateLimitStore {
    // The plugin passes its merged options with the route under `routeInfo` (its typings say the
    // route's options themselves): read either.
    const route = ((routeOptions as { routeInfo?: RouteInfo }).routeInfo ?? routeOptions) as RouteInfo;
    const method = Array.isArray(route.method) ? route.method.join(',') : String(route.method ?? '');
    return new FastifyStore(this.counter, `${method} ${String(route.url ?? '')}`);
  }
}
