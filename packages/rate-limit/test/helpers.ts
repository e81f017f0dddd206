import { randomUUID } from 'node:crypto';
import { type Client, type ClientOptions, createClient, type Value } from '@memwire/core';
import { afterEach, beforeEach, vi } from 'vitest';
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

/** A key no other test uses (not from the clock, which `useSteadyClock` stops). */
export function freshKey(name = 'k'): string {
  return `${name}-${randomUUID()}`;
}

/** 30 s into a minute (and 0 ms into a second), in 2027. */
export const STEADY_NOW = 1_800_000_030_000;

/**
 * Stops `Date` (only: sockets and timers run) at `STEADY_NOW` for each test of the file. Windows are
 * `floor(Date.now() / windowMs)`: on a real clock a test counting several hits in a 60 s window fails
 * whenever it happens to run across a minute's end (a new window counts from 1 again). A test moves
 * the clock itself with `vi.setSystemTime` when the window's edge is what it tests.
 */
export function useSteadyClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(STEADY_NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
