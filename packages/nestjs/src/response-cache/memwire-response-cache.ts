import { createClient, DEFAULT_OPTIONS, rawCodec } from '@memwire/core';
import { HttpCache, type HttpCacheOptions } from '@memwire/http-cache';
import type { MemwireClientOptions } from '../options.js';
import { LazyCacheClient } from './lazy-client.js';

/**
 * The HTTP response cache behind `@CacheResponse()` routes, one per memwire client: `@memwire/express`'s
 * framework-neutral `HttpCache` (RFC 9111 for a shared cache), on a client of its own made from the
 * client's options. Inject it (`@InjectResponseCache(name?)`) to invalidate stored responses.
 */
export class MemwireResponseCache {
  private readonly client: LazyCacheClient;
  private readonly options: HttpCacheOptions;
  /** One `HttpCache` per route TTL; they share the key space, so any of them invalidates for all. */
  private readonly caches = new Map<number | undefined, HttpCache>();
  private readonly fallback: HttpCache;

  constructor(clientOptions: MemwireClientOptions<unknown, unknown>) {
    const { responseCache = {}, ...memcached } = clientOptions;
    // As @memwire/express's middleware makes its client: URLs exceed memcached's 250-byte keys, and
    // bodies are bytes. The key function is the application's own key scheme, not the cache's.
    this.client = new LazyCacheClient(() =>
      createClient({ ...memcached, keyFunction: undefined, hashLongKeys: true, codec: rawCodec }),
    );
    this.options = {
      ...responseCache,
      commandTimeout:
        responseCache.commandTimeout ?? memcached.commandTimeout ?? DEFAULT_OPTIONS.commandTimeout,
    };
    // Made now, so a bad option fails at startup (a ConfigError), not on the first request.
    this.fallback = this.cacheFor(undefined);
  }

  /**
   * The cache for routes whose responses that state no freshness of their own are kept `ttl`
   * seconds (the module's `responseCache.ttl` when undefined).
   */
  cacheFor(ttl: number | undefined): HttpCache {
    let cache = this.caches.get(ttl);
    if (cache === undefined) {
      cache = new HttpCache(this.client, ttl === undefined ? this.options : { ...this.options, ttl });
      this.caches.set(ttl, cache);
    }
    return cache;
  }

  /**
   * Invalidates every stored response of a URL (all its `Vary` variants, and HEAD), on every host,
   * in every process sharing the cache. Pass a path (`/products/1?lang=en`) or absolute URL (its host
   * is not looked at), or the string a route's `key` returns. Rejects when memcached cannot be reached.
   */
  invalidate(url: string): Promise<void> {
    return this.fallback.invalidate(url);
  }

  /** Invalidates every stored response tagged with any of `tags`. Rejects when memcached cannot be reached. */
  invalidateTags(tags: string | Iterable<string>): Promise<void> {
    return this.fallback.invalidateTags(tags);
  }

  /** Resolves once every response handed to the cache so far has been stored (or given up on). */
  async settled(): Promise<void> {
    await Promise.all([...this.caches.values()].map((cache) => cache.settled()));
  }

  /** Waits for the stores in progress, then closes the cache's client (on application shutdown). */
  async close(): Promise<void> {
    await this.settled();
    await this.client.close();
  }
}
