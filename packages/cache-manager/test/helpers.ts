import { type Client, type ClientOptions, createClient, type Value } from '@memwire/core';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { createMemwireCache, type MemwireCache, type MemwireCacheOptions } from '../src/index.js';

/**
 * Real memcached servers, clients and caches for one test file, each ended, closed or disconnected
 * by `cleanup()` (call it in `afterAll`). Nothing reads the environment.
 */
export function harness() {
  const servers = new Set<MemcachedServer>();
  const clients = new Set<Client>();
  const caches = new Set<MemwireCache>();
  return {
    async server(): Promise<MemcachedServer> {
      const server = await startMemcached();
      servers.add(server);
      return server;
    },
    client(server: MemcachedServer, options: ClientOptions<Value> = {}): Client {
      const client = createClient({ env: {}, servers: server.address, ...options });
      clients.add(client);
      return client;
    },
    /** A cache with its own client: a process of its own, as far as memcached can tell. */
    cache(server: MemcachedServer, options: MemwireCacheOptions = {}): MemwireCache {
      const cache = createMemwireCache({ env: {}, servers: server.address, ...options });
      caches.add(cache);
      return cache;
    },
    track<T extends { disconnect(): Promise<unknown> }>(store: T): T {
      caches.add(store as unknown as MemwireCache);
      return store;
    },
    async cleanup(): Promise<void> {
      await Promise.all([...caches].map((cache) => cache.disconnect()));
      await Promise.all([...clients].map((client) => client.close()));
      await Promise.all([...servers].map((server) => server.stop()));
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A function that counts its calls and resolves `value` after `ms`. */
export function slowly<T>(value: (call: number) => T, ms: number) {
  const counted = {
    calls: 0,
    run: async (): Promise<T> => {
      counted.calls += 1;
      const call = counted.calls;
      await sleep(ms);
      return value(call);
    },
  };
  return counted;
}
