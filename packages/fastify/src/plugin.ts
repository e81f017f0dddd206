import {
  adapterCache,
  appOrigin,
  type CacheClient,
  type CacheRequest,
  type Exchange,
  type HttpCache,
  runExchange,
  type ServedResponse,
  withoutInjectedAgent,
  writeServed,
} from '@memwire/http-cache';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { FastifyResponseCacheOptions, RouteCacheConfig } from './options.js';

/** What the plugin decorates the instance with: `app.responseCache`. */
export interface ResponseCacheControls {
  /** Invalidates every stored response of a URL, in every process sharing the cache. */
  invalidate(url: string): Promise<void>;
  /** Invalidates every stored response tagged with any of `tags`. */
  invalidateTags(tags: string | Iterable<string>): Promise<void>;
  /** Resolves once every response handed to the cache so far has been stored (or given up on). */
  settled(): Promise<void>;
  /** The client the cache uses. */
  readonly client: CacheClient;
  /** The framework-neutral cache underneath. */
  readonly cache: HttpCache;
}

declare module 'fastify' {
  interface FastifyInstance {
    responseCache: ResponseCacheControls;
  }
  interface FastifyContextConfig {
    responseCache?: RouteCacheConfig;
  }
}

const plugin: FastifyPluginAsync<FastifyResponseCacheOptions> = async (app, options) => {
  const { cache, client, tagHeader, notSent, close } = adapterCache(options);
  const keyOf = options.key?.bind(options);

  app.decorate('responseCache', {
    invalidate: (url: string) => cache.invalidate(url),
    invalidateTags: (tags: string | Iterable<string>) => cache.invalidateTags(tags),
    settled: () => cache.settled(),
    client,
    cache,
  } satisfies ResponseCacheControls);

  // A hook, not a wrapped reply: the cache decides before the route runs, and serves through the
  // reply so Fastify's own onSend hooks (compression) and onResponse hooks (logs, metrics) still run.
  // The body of an answer from the application is read off Node's response (the one runner every
  // adapter shares), since no Fastify hook sees a streamed body as it is written.
  app.addHook('onRequest', async (request, reply) => {
    const route = routeConfig(request);
    if (route === false) return;
    const exchange = await begin(request);
    if (exchange === undefined) return;
    const answered = runExchange(exchange, {
      request: request.raw,
      response: reply.raw,
      headersSoFar: () => replyHeaders(reply),
      tagHeader,
      notSent,
      moreTags: () => route?.tags ?? [],
      serve: (served) => sendServed(reply, served),
    });
    if (answered === 'served') return reply;
  });

  app.addHook('onClose', close);

  async function begin(request: FastifyRequest): Promise<Exchange | undefined> {
    let cacheRequest: CacheRequest;
    try {
      const { scheme, host } = appOrigin(request, request.raw);
      cacheRequest = {
        method: request.method,
        url: request.url,
        headers: request.headers,
        resource: keyOf?.(request),
        scheme,
        host,
        refresh: refreshThrough(app, request),
      };
    } catch {
      return undefined; // The cache never breaks a request.
    }
    return cache.begin(cacheRequest).catch(() => undefined);
  }
};

/** The route's `config.responseCache`, or undefined when the route sets none (or none matched). */
function routeConfig(request: FastifyRequest): RouteCacheConfig | undefined {
  // Fastify 5 and 4.x since 4.10: routeOptions.config; earlier 4.x: routeConfig.
  const config = (request.routeOptions?.config ??
    (request as unknown as { routeConfig?: unknown }).routeConfig) as
    | { responseCache?: RouteCacheConfig }
    | undefined;
  return config?.responseCache;
}

/** Headers set on the reply before the route ran (by earlier hooks): Fastify holds them until it writes. */
function replyHeaders(reply: FastifyReply): Map<string, string> {
  const snapshot = new Map<string, string>();
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) snapshot.set(name, Array.isArray(value) ? value.join(', ') : String(value));
  }
  return snapshot;
}

/** Writes a stored response through the reply. */
function sendServed(reply: FastifyReply, served: ServedResponse): void {
  if (served.body === undefined) {
    // HEAD and 304: headers only. Through the reply, Fastify's HEAD route replaces the stored
    // Content-Length with its own 0 (and fails on a null payload), so these are written on Node's
    // response; the reply is hijacked first so Fastify does not answer again.
    reply.hijack();
    writeServed(reply.raw, served);
    return;
  }
  reply.code(served.status);
  const cookies: string[] = [];
  for (const [name, value] of served.headers) {
    if (name === 'set-cookie') cookies.push(value);
    else reply.header(name, value);
  }
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  void reply.send(served.body);
}

/** A stale-while-revalidate refresh, sent through the application by Fastify's own `inject`. */
function refreshThrough(app: FastifyInstance, request: FastifyRequest): CacheRequest['refresh'] {
  const remoteAddress = request.raw.socket?.remoteAddress;
  return (refresh) =>
    app.inject({
      method: refresh.method as 'GET',
      url: refresh.url,
      headers: withoutInjectedAgent(refresh.headers) as Record<string, string>,
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
    });
}

/**
 * The Fastify (4 and 5) plugin caching whole responses in memcached, by RFC 9111's rules for a shared
 * cache. Registered with fastify-plugin, so it covers every route of the instance it is registered
 * on; a route opts out with `config: { responseCache: false }`.
 *
 * @example
 * await app.register(responseCache, { ttl: 30 });
 * app.get('/products/:id', { config: { responseCache: { tags: ['products'] } } }, loadProduct);
 * await app.responseCache.invalidateTags('products');
 */
export const responseCache = fp(plugin, { fastify: '4.x || 5.x', name: '@memwire/fastify' });
