import { type Client, createClient, rawCodec } from '@memwire/core';
import type { Express } from 'express';
import { type Framework, type Running, serve, uniquePrefix } from '../../../test/support/http.js';
import { type ResponseCacheMiddleware, type ResponseCacheOptions, responseCache } from '../src/index.js';

export {
  delay,
  type Framework,
  frameworks,
  type Reply,
  type RequestOptions,
  type Running,
  requestAt,
  serve,
  uniquePrefix,
} from '../../../test/support/http.js';

/** A client as the middleware wants it: long URLs hashed, bytes kept as bytes. */
export function cacheClient(
  address: string,
  options: { commandTimeout?: number } = {},
): Client<string | Uint8Array, Buffer> {
  return createClient({ servers: address, env: {}, hashLongKeys: true, codec: rawCodec, ...options });
}

export interface Harness {
  cache: ResponseCacheMiddleware;
  client: Client<string | Uint8Array, Buffer>;
  app: Express;
  running: Running;
  request: Running['request'];
  /** Waits until the cache has stored what it was given, then requests. */
  after: Running['request'];
  close(): Promise<void>;
}

/**
 * An app with a response cache on a real memcached: `routes` adds the routes (with `cache` wherever
 * it wants it). Closed by `close()`, which ends the server, the cache and the client.
 */
export async function harness(
  framework: Framework,
  address: string,
  routes: (app: Express, cache: ResponseCacheMiddleware) => void,
  options: ResponseCacheOptions = {},
): Promise<Harness> {
  const client = cacheClient(address, { commandTimeout: options.commandTimeout ?? 1000 });
  const cache = responseCache({ client, keyPrefix: uniquePrefix(), ...options });
  const app = framework.create();
  routes(app, cache);
  const running = await serve(app);
  return {
    cache,
    client,
    app,
    running,
    request: running.request,
    after: async (path, init) => {
      await cache.settled();
      return running.request(path, init);
    },
    close: async () => {
      await running.close();
      await cache.close();
      await client.close();
    },
  };
}

/**
 * The resource a request to `running` for `path` is stored under (origin `|` path), as the cache's
 * memcached keys name it: for tests that reach into memcached.
 */
export function resourceOf(running: Running, path: string): string {
  return `${running.url}|${path}`;
}
