import { createClient, DEFAULT_OPTIONS, rawCodec } from '@memwire/core';
import type { CacheClient } from '../http/client.js';
import type { Exchange } from '../http/exchange.js';
import { HttpCache } from '../http/http-cache.js';
import type { CacheRequest, OriginResponse } from '../http/types.js';
import { appOrigin } from './app-origin.js';
import { type Captured, captureResponse } from './capture.js';
import { expressRefresh } from './inject-refresh.js';
import type { ResponseCacheOptions } from './options.js';
import type { NextFunction, RequestLike, ResponseLike } from './types.js';
import { headerSnapshot, removeOnHead, setHeaders, writeServed } from './write-served.js';

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
  const owned =
    options.client === undefined
      ? createClient({ ...options.memcached, hashLongKeys: true, codec: rawCodec })
      : undefined;
  const client: CacheClient = options.client ?? owned!;
  const commandTimeout =
    options.commandTimeout ?? options.memcached?.commandTimeout ?? DEFAULT_OPTIONS.commandTimeout;
  const cache = new HttpCache(client, { ...options, commandTimeout });
  const tagHeader = cache.config.tagHeader.toLowerCase();
  const { targetedCacheControl } = cache.config;
  // Our own targeted field is for this cache only (RFC 9213 §2.1 lets a cache forward it; it has no reader beyond).
  const notSent = [
    tagHeader,
    ...(targetedCacheControl === false ? [] : [targetedCacheControl.toLowerCase()]),
  ];
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
      (exchange) => proceed(exchange, req, res, next, tagHeader, notSent),
      () => next(),
    );
  };
  return Object.assign(middleware, {
    invalidate: (url: string) => cache.invalidate(url),
    invalidateTags: (tags: string | Iterable<string>) => cache.invalidateTags(tags),
    settled: () => cache.settled(),
    close: async () => {
      await cache.settled();
      await owned?.close();
    },
    client,
    cache,
  });
}

function proceed(
  exchange: Exchange,
  req: RequestLike,
  res: ResponseLike,
  next: NextFunction,
  tagHeader: string,
  notSent: readonly string[],
): void {
  try {
    // Installed before any capture, so inside it: the capture reads the head (and the cache decides
    // on the targeted field) before these go.
    for (const name of notSent) removeOnHead(res, name);
  } catch {
    // The cache never breaks a request.
  }
  if (exchange.kind === 'serve') {
    try {
      writeServed(res, exchange.response);
    } catch {
      if (!res.headersSent) next();
    }
    return;
  }
  try {
    if (exchange.kind === 'fetch') {
      // The cache's conditional request: the application sees a copy, the cache keeps the client's.
      if (exchange.requestHeaders !== undefined) req.headers = exchange.requestHeaders;
      fetchFromOrigin(exchange, res, tagHeader);
    } else {
      if (exchange.kind === 'invalidate') invalidateAfter(exchange, res);
      setHeaders(res, exchange.headers);
    }
  } catch {
    // The cache never breaks a request: on to the application.
  }
  next();
}

function fetchFromOrigin(
  exchange: Extract<Exchange, { kind: 'fetch' }>,
  res: ResponseLike,
  tagHeader: string,
): void {
  let finished = false;
  const finish = (response: OriginResponse | undefined): void => {
    if (finished) return;
    finished = true;
    exchange.finish(response);
  };
  const inherited = headerSnapshot(res);
  try {
    setHeaders(res, exchange.headers);
    captureResponse(res, {
      maxBodySize: exchange.maxBodySize,
      maxCaptureBytes: exchange.maxCaptureBytes,
      tagHeader,
      inherited,
      holdEnd: false,
      onHead: (head) => exchange.onHead({ ...head, inherited }),
      onEnd: (captured: Captured) => {
        const { head, body, tags, setCookie } = captured;
        finish({ ...head, body, tags: [...tags, ...localTags(res)], setCookie, inherited });
      },
      onAbort: () => finish(undefined),
    });
  } catch (error) {
    finish(undefined);
    throw error;
  }
}

function invalidateAfter(exchange: Extract<Exchange, { kind: 'invalidate' }>, res: ResponseLike): void {
  captureResponse(res, {
    maxBodySize: 0,
    tagHeader: '',
    inherited: new Map(),
    holdEnd: true,
    onHead: () => undefined,
    onEnd: ({ head }) => exchange.finish(head),
    onAbort: () => {},
  });
}

/** Tags an application put in `res.locals.cacheTags` (a string or a list). */
function localTags(res: ResponseLike): string[] {
  const tags = res.locals?.['cacheTags'];
  if (typeof tags === 'string') return [tags];
  if (Array.isArray(tags)) return tags.filter((tag): tag is string => typeof tag === 'string');
  return [];
}
