import { type Client, type ClientOptions, createClient, type Value } from '@memwire/core';
import { freePort, type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { RateLimitCounter, type RateLimitOptions } from '../src/index.js';

/**
 * Real memcached servers, clients and counters for one test file, each ended or closed by
 * `cleanup()` (call it in `afterAll`). Clients ignore the environment, so a developer's
 * MEMCACHE_SERVERS never leaks in.
 */
export function harness() {
  const servers = new Set<MemcachedServer>();
  const clients = new Set<Client>();
  const closers = new Set<{ close(): Promise<void> }>();
  return {
    async server(): Promise<MemcachedServer> {
      const server = await startMemcached();
      servers.add(server);
      return server;
    },
    client(server: MemcachedServer | string, options: ClientOptions<Value> = {}): Client {
      const address = typeof server === 'string' ? server : server.address;
      const client = createClient({ env: {}, servers: address, ...options });
      clients.add(client);
      return client;
    },
    /** A counter that creates (and on cleanup closes) its own client. */
    counter(server: MemcachedServer | string, options: RateLimitOptions = {}): RateLimitCounter {
      const servers = typeof server === 'string' ? server : server.address;
      return this.closing(new RateLimitCounter({ env: {}, servers, ...options }));
    },
    /** Closes `thing` on cleanup. */
    closing<T extends { close(): Promise<void> }>(thing: T): T {
      closers.add(thing);
      return thing;
    },
    async cleanup(): Promise<void> {
      await Promise.all([...closers].map((thing) => thing.close()));
      await Promise.all([...clients].map((client) => client.close()));
      await Promise.all([...servers].map((server) => server.stop()));
    },
  };
}

/** An address nothing listens on, with client options that give up at once. */
export async function deadServer(): Promise<{
  servers: string;
  connectTimeout: number;
  commandTimeout: number;
}> {
  return { servers: `127.0.0.1:${await freePort()}`, connectTimeout: 200, commandTimeout: 200 };
}

let unique = 0;
/** A key no other test uses. */
export function freshKey(name = 'k'): string {
  unique += 1;
  return `${name}-${process.pid}-${Date.now()}-${unique}`;
}
