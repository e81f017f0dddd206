import { type ClientOptions, createClient, DEFAULT_OPTIONS, rawCodec } from '@memwire/core';
import type { CacheClient } from '../client.js';
import { type HttpCacheOptions, unsentFields } from '../config.js';
import { HttpCache } from '../engine/http-cache.js';

/** Where a framework adapter's cache lives: the options every adapter adds to {@link HttpCacheOptions}. */
export interface CacheLocationOptions {
  /**
   * The memwire client to store responses with; create it with `hashLongKeys: true` (URLs exceed
   * memcached's 250-byte keys; without it, requests with long URLs are not cached). You close it.
   * @default a client the adapter creates from `memcached` and closes when it closes
   */
  client?: CacheClient | undefined;
  /**
   * Options of the client the adapter creates when `client` is not given (it adds
   * `hashLongKeys: true` and the raw codec). @default {} (the environment's `MEMCACHE_*`, else 127.0.0.1:11211)
   */
  memcached?: Omit<ClientOptions, 'codec' | 'hashLongKeys'> | undefined;
}

/** What an adapter builds on: the cache, its client, the fields it never sends, and how to close. */
export interface AdapterCache {
  cache: HttpCache;
  client: CacheClient;
  tagHeader: string;
  notSent: readonly string[];
  /** Waits for the stores in progress, then closes the client if it was created here. */
  close(): Promise<void>;
}

/**
 * The one way an adapter (Express, Fastify) makes its cache: a client of its own unless given one,
 * and the command timeout the cache waits at most, which is the client's unless set.
 */
export function adapterCache(options: HttpCacheOptions & CacheLocationOptions): AdapterCache {
  const owned =
    options.client === undefined
      ? createClient({ ...options.memcached, hashLongKeys: true, codec: rawCodec })
      : undefined;
  const client: CacheClient = options.client ?? owned!;
  const commandTimeout =
    options.commandTimeout ?? options.memcached?.commandTimeout ?? DEFAULT_OPTIONS.commandTimeout;
  const cache = new HttpCache(client, { ...options, commandTimeout });
  const { tagHeader, notSent } = unsentFields(cache.config);
  return {
    cache,
    client,
    tagHeader,
    notSent,
    close: async () => {
      await cache.settled();
      await owned?.close();
    },
  };
}
