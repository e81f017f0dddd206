import { afterEach } from 'vitest';
import {
  type Client,
  type ClientEvents,
  KetamaRing,
  parseServerList,
} from '../../packages/core/src/index.js';
import { rawRequest } from '../../packages/core/test/client/helpers.js';
import { type MemcachedServer, startMemcached } from '../support/index.js';

export {
  allSettleWithin,
  rejections,
  retryUntil,
  settleWithin,
  sleep,
  useClients,
} from '../../packages/core/test/client/helpers.js';

/**
 * Servers for the tests of a file, stopped after each test (fill it with startCluster), so a test
 * may kill and restart them at will. The array is filled in place: read it inside the test.
 */
export function useCluster(): MemcachedServer[] {
  const servers: MemcachedServer[] = [];
  afterEach(async () => {
    // SIGKILL first: a SIGTERMed memcached takes about a second to exit, and these servers hold nothing.
    const stopping = servers.map((server) => server.kill().then(() => server.stop()));
    servers.length = 0;
    await Promise.all(stopping);
  });
  return servers;
}

/** Starts the servers of a cluster made by useCluster (call at the start of a test). */
export async function startCluster(servers: MemcachedServer[], count: number): Promise<void> {
  servers.push(...(await Promise.all(Array.from({ length: count }, () => startMemcached()))));
}

/**
 * `perServer` keys for each server of `addresses`, chosen by the ring the client builds by default
 * (weighted ketama, MD5): `result[i]` are keys that the client sends to `addresses[i]`.
 */
export function keysByServer(addresses: readonly string[], perServer: number, prefix = 'key'): string[][] {
  const ring = new KetamaRing(parseServerList(addresses.join(','), 'servers'));
  const byServer: string[][] = addresses.map(() => []);
  for (let i = 0; byServer.some((keys) => keys.length < perServer); i++) {
    const key = `${prefix}:${process.pid}:${i}`;
    const keys = byServer[ring.serverFor(key)]!;
    if (keys.length < perServer) keys.push(key);
  }
  return byServer;
}

/** The index in `addresses` of the server the default ring puts `key` on. */
export function serverIndexOf(addresses: readonly string[], key: string): number {
  return new KetamaRing(parseServerList(addresses.join(','), 'servers')).serverFor(key);
}

/** The value `server` holds for `key`, read on a raw socket with the client out of the way. */
export async function storedOn(server: MemcachedServer, key: string): Promise<string | undefined> {
  const reply = await rawRequest(server.port, `get ${key}\r\n`, /END\r\n$/);
  const match = /^VALUE \S+ \d+ \d+\r\n([\s\S]*)\r\nEND\r\n$/.exec(reply);
  return match === null ? undefined : match[1];
}

/** Resolves with the client's next `event`, or rejects after `ms`. */
export function nextEvent<K extends keyof ClientEvents>(
  client: Client,
  event: K,
  ms: number,
): Promise<ClientEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: ClientEvents[K]): void => {
      clearTimeout(timer);
      resolve(args[0]);
    };
    const timer = setTimeout(() => {
      client.off(event, listener as never);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    client.once(event, listener as never);
  });
}
