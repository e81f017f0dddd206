import { ConfigError } from '@memwire/core';
import { appOrigin, type CacheRequest, unsentFields } from '@memwire/http-cache';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { from, mergeMap, type Observable } from 'rxjs';
import { DEFAULT_MEMWIRE_NAME, getMemwireResponseCacheToken } from '../tokens.js';
import type { MemwireResponseCache } from './memwire-response-cache.js';
import { CACHE_RESPONSE_OPTIONS, type CacheResponseOptions } from './metadata.js';
import { nestWillReply, nodeExchangeOf, refreshOf } from './platform.js';
import { proceed } from './proceed.js';

/**
 * Responses an interceptor has taken charge of. `@CacheResponse()` on a controller and on one of its
 * handlers, or the interceptor registered globally as well, would otherwise run it twice per request.
 */
const intercepted = new WeakSet<object>();

/**
 * The interceptor `@CacheResponse()` applies: turns the request into the cache's terms, asks the
 * client's {@link MemwireResponseCache} what to do, and does it. Constructor parameters carry their
 * tokens, so it needs no decorator metadata from the application's compiler. Registered globally
 * (`APP_INTERCEPTOR`), it caches every route, each with its `@CacheResponse()` options if it has some.
 */
@Injectable()
export class CacheResponseInterceptor implements NestInterceptor {
  private readonly caches = new Map<string, MemwireResponseCache>();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const options =
      this.reflector.getAllAndOverride<CacheResponseOptions<unknown> | undefined>(CACHE_RESPONSE_OPTIONS, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    const responseCache = this.responseCache(options.client ?? DEFAULT_MEMWIRE_NAME);
    const http = context.switchToHttp();
    const exchange = nodeExchangeOf(http.getRequest(), http.getResponse());
    if (exchange === undefined || intercepted.has(exchange.response)) return next.handle();
    intercepted.add(exchange.response);
    let request: CacheRequest;
    let routeTags: readonly string[];
    try {
      const { key, tags } = options;
      const platformRequest = exchange.platformRequest;
      // The scheme and host as the platform reports them (Express's and Fastify's trust proxy): part of the key.
      const { scheme, host } = appOrigin(platformRequest, exchange.request);
      request = {
        method: (exchange.request.method ?? 'GET').toUpperCase(),
        url: exchange.url,
        headers: exchange.request.headers,
        resource: typeof key === 'function' ? key(platformRequest) : key,
        scheme,
        host,
        refresh: refreshOf(platformRequest),
      };
      routeTags = typeof tags === 'function' ? tags(platformRequest) : (tags ?? []);
    } catch {
      // A key or tags function that fails leaves the request uncached, never broken.
      return next.handle();
    }
    const cache = responseCache.cacheFor(options.ttl);
    const { tagHeader, notSent } = unsentFields(cache.config);
    const nestReplies = nestWillReply(context);
    return from(cache.begin(request)).pipe(
      mergeMap((decision) =>
        proceed(decision, {
          http: exchange,
          handle: () => next.handle(),
          nestReplies,
          tagHeader,
          notSent,
          routeTags,
        }),
      ),
    );
  }

  /** The response cache of the client `name`, wherever its module is in the application. */
  private responseCache(name: string): MemwireResponseCache {
    let cache = this.caches.get(name);
    if (cache === undefined) {
      try {
        cache = this.moduleRef.get<MemwireResponseCache>(getMemwireResponseCacheToken(name), {
          strict: false,
        });
      } catch (error) {
        const register =
          name === DEFAULT_MEMWIRE_NAME
            ? 'MemwireModule.forRoot()'
            : `MemwireModule.forRoot({ name: '${name}' })`;
        throw new ConfigError(
          `@CacheResponse needs ${register} (or forRootAsync) in the application: ${String(error)}`,
        );
      }
      this.caches.set(name, cache);
    }
    return cache;
  }
}
