import { connect } from 'node:net';
import { type Client, createClient, type Value } from '@memwire/core';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { MemwireSessionStore, type MemwireSessionStoreOptions } from '../src/index.js';

/**
 * Real memcached servers, clients and stores for one test file, each ended or closed by `cleanup()`
 * (call it in `afterAll`). Clients ignore the environment, so a developer's MEMCACHE_SERVERS never leaks in.
 */
export function harness() {
  const servers = new Set<MemcachedServer>();
  const clients = new Set<Client>();
  const stores = new Set<MemwireSessionStore>();
  return {
    async server(): Promise<MemcachedServer> {
      const server = await startMemcached();
      servers.add(server);
      return server;
    },
    client(address: string): Client<Value, Value> {
      const client = createClient({ env: {}, servers: address });
      clients.add(client);
      return client;
    },
    /** A store that creates (and on cleanup closes) its own client. */
    store(address: string, options: MemwireSessionStoreOptions = {}): MemwireSessionStore {
      const store = new MemwireSessionStore({ env: {}, servers: address, ...options });
      stores.add(store);
      return store;
    },
    async cleanup(): Promise<void> {
      await Promise.all([...stores].map((store) => store.close()));
      await Promise.all([...clients].map((client) => client.close()));
      await Promise.all([...servers].map((server) => server.stop()));
    },
  };
}

/** One raw text-protocol exchange with `server`: sends `request`, resolves the reply once it ends with `until`. */
export function rawCommand(address: string, request: string | Buffer, until = /\r\n$/): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!);
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (until.test(reply)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

/**
 * Seconds memcached will keep `key` (meta get's `t` flag: -1 = never expires), or undefined on a
 * miss: how the tests see a TTL without waiting for it.
 */
export async function remainingTtl(address: string, key: string): Promise<number | undefined> {
  const reply = await rawCommand(address, `mg ${key} t\r\n`);
  if (reply.startsWith('EN')) return undefined;
  const match = /^HD t(-?\d+)/.exec(reply);
  if (!match) throw new Error(`unexpected mg reply ${JSON.stringify(reply)}`);
  return Number(match[1]);
}

/** Stores `bytes` under `key` with `flags`, as another program could. */
export async function rawSet(address: string, key: string, bytes: Buffer, flags = 0, ttl = 0): Promise<void> {
  const reply = await rawCommand(
    address,
    Buffer.concat([
      Buffer.from(`set ${key} ${flags} ${ttl} ${bytes.length}\r\n`),
      bytes,
      Buffer.from('\r\n'),
    ]),
  );
  if (reply !== 'STORED\r\n') throw new Error(`unexpected set reply ${JSON.stringify(reply)}`);
}

/** The keys of a store's sessions in memcached: `keyPrefix` + generation + `:` + id. */
export async function sessionKey(
  client: Client<Value, Value>,
  keyPrefix: string,
  sid: string,
): Promise<string> {
  const generation = await client.get(`${keyPrefix}generation`);
  return `${keyPrefix}${String(generation)}:${sid}`;
}

/** A session as express-session writes one, its cookie expiring in `seconds`. */
export function sessionFor(seconds: number | undefined, fields: Record<string, unknown> = {}) {
  const expires = seconds === undefined ? null : new Date(Date.now() + seconds * 1000);
  return { cookie: { originalMaxAge: seconds === undefined ? null : seconds * 1000, expires }, ...fields };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
