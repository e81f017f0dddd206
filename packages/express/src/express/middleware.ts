import {
  adapterCache,
  appOrigin,
  type CacheClient,
  type CacheRequest,
  expressRefresh,
  type HttpCache,
  headerSnapshot,
  localTags,
  runExchange,
} from '@memwire/http-cache';
import type { ResponseCacheOptions } from './options.js';
import type { NextFunction, RequestLike, ResponseLike } from './types.js';

/** The middleware, with the cache's controls. */
export interface ResponseCacheMiddleware {
  (req: RequestLike, res: ResponseLike, next: NextFunction): void;
  /**
   * Invalidates every stored response of a URL (its variants and HEAD included), on every host, in
   * every process sharing the cache. Pass a path (`/products/1?lang=en`) or absolute URL (its host is
   * not looked at), or the string your `key` option returns. Rejects when memcached cannot be reached.
   */
  invalidate(url: string): Promise<void>;
  /** Invalidates every stored response tagged with any of `tags`. Rejects when memcached cannot be reached. */
  invalidateTags(tags: string | Iterable<string>): Promise<void>;
  /** Resolves once every response handed to the cache so far has been stored (or given up on). */
  settled(): Promise<void>;
  /** Waits for the stores in progress, then closes the client if the middleware created it. */
  close(): Promise<void>;
  /** The client the cache uses (listen to its `serverDown` / `serverUp` events). */
  readonly client: CacheClient;
  /** The framework-neutral cache underneath. */
  readonly cache: HttpCache;
}

/**
 * An Express (4 and 5) middleware caching whole responses in memcached, by RFC 9111's rules for a
 * shared cache. Use it app-wide (`app.use(responseCache())`) or per route. A cache failure never
 * fails a request: the request goes to the application instead, at most `commandTimeout` later.
 *
 * @example
 * const cache = responseCache({ ttl: 30 });
 * app.use(compression()); // in front: the cache stores identity bodies, compression applies on the way out
 * app.get('/products/:id', cache, (req, res) => res.json(loadProduct(req.params.id)));
 * app.post('/products/:id', cache, updateProduct); // a 2xx invalidates /products/:id
 */
export function responseCache(options: ResponseCacheOptions = {}): ResponseCacheMiddleware {
  const { cache, client, tagHeader, notSent, close } = adapterCache(options);
  const keyOf = options.key?.bind(options);

  const middleware = (req: RequestLike, res: ResponseLike, next: NextFunction): void => {
    let request: CacheRequest;
    try {
      const { scheme, host } = appOrigin(req, req);
      request = {
        method: req.method ?? 'GET',
        url: req.originalUrl ?? req.url ?? '/',
        headers: req.headers,
        resource: keyOf?.(req),
        scheme,
        host,
        refresh: expressRefresh(req as { app?: unknown }),
      };
    } catch {
      next();
      return;
    }
    cache.begin(request).then(
      (exchange) => {
        const io = {
          request: req,
          response: res,
          headersSoFar: () => headerSnapshot(res),
          tagHeader,
          notSent,
          moreTags: () => localTags(res.locals),
        };
        if (runExchange(exchange, io) === 'origin') next();
      },
      () => next(),
    );
  };
  return Object.assign(middleware, {
    invalidate: (url: string) => cache.invalidate(url),
    invalidateTags: (tags: string | Iterable<string>) => cache.invalidateTags(tags),
    settled: () => cache.settled(),
    close,
    client,
    cache,
  });
}
