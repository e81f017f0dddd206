import {
  type Client,
  type ClientOptions,
  type CommandTrace,
  commandChannel,
  createClient,
  type Value,
} from '@memwire/core';
import { Keyv as Keyv5 } from 'keyv5';
import { Keyv as Keyv6 } from 'keyv6';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { KeyvMemwire, type KeyvMemwireOptions } from '../src/index.js';

/**
 * Real memcached servers and clients for one test file, each ended or closed by `cleanup()` (call it
 * in `afterAll`). Clients ignore the environment, so a developer's MEMCACHE_SERVERS never leaks in.
 */
export function harness() {
  const servers = new Set<MemcachedServer>();
  const clients = new Set<Client>();
  const adapters = new Set<KeyvMemwire>();
  return {
    async server(): Promise<MemcachedServer> {
      const server = await startMemcached();
      servers.add(server);
      return server;
    },
    client(server: MemcachedServer | string, options: ClientOptions<Value> = {}): Client {
      const servers = typeof server === 'string' ? server : server.address;
      const client = createClient({ env: {}, servers, ...options });
      clients.add(client);
      return client;
    },
    /** An adapter that creates (and on cleanup closes) its own client. */
    adapter(server: MemcachedServer, options: KeyvMemwireOptions = {}): KeyvMemwire {
      const adapter = new KeyvMemwire({ env: {}, servers: server.address, ...options });
      adapters.add(adapter);
      return adapter;
    },
    async cleanup(): Promise<void> {
      await Promise.all([...adapters].map((adapter) => adapter.disconnect()));
      await Promise.all([...clients].map((client) => client.close()));
      await Promise.all([...servers].map((server) => server.stop()));
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The client commands issued while `run` runs, as seen on the core's `memwire:command` channel. */
export async function commandsDuring(
  run: () => Promise<unknown>,
): Promise<{ command: string; keys: number }[]> {
  const seen: { command: string; keys: number }[] = [];
  const handlers = {
    start: (trace: CommandTrace) => seen.push({ command: trace.command, keys: trace.keys }),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: () => {},
  };
  commandChannel.subscribe(handlers);
  try {
    await run();
  } finally {
    commandChannel.unsubscribe(handlers);
  }
  return seen;
}

/** What the tests use of a Keyv instance, alike in keyv 5 and 6 (their full types differ). */
export interface AnyKeyv {
  get(key: string): Promise<unknown>;
  get(keys: string[]): Promise<unknown[]>;
  set(key: string, value: unknown, ttl?: number): Promise<boolean>;
  setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<unknown>;
  delete(key: string | string[]): Promise<unknown>;
  hasMany(keys: string[]): Promise<boolean[]>;
  clear(): Promise<void>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** keyv 5's and keyv 6's classes, as the tests construct them. */
export type KeyvClass = new (options: { store: KeyvMemwire; namespace?: string }) => AnyKeyv;

/** Both majors, for `describe.each` / `test.each`. */
export const BOTH_KEYVS: [string, KeyvClass][] = [
  ['keyv 5', Keyv5 as unknown as KeyvClass],
  ['keyv 6', Keyv6 as unknown as KeyvClass],
];
