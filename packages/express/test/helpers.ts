import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, createClient, rawCodec } from '@memwire/core';
import express5, { type Express } from 'express';
import express4 from 'express4';
import { type ResponseCacheMiddleware, type ResponseCacheOptions, responseCache } from '../src/index.js';

/** The Express majors every middleware test runs on. */
export const frameworks = [
  { name: 'Express 5', create: (): Express => express5() },
  { name: 'Express 4', create: (): Express => express4() },
] as const;

export type Framework = (typeof frameworks)[number];

/** A client as the middleware wants it: long URLs hashed, bytes kept as bytes. */
export function cacheClient(
  address: string,
  options: { commandTimeout?: number } = {},
): Client<string | Uint8Array, Buffer> {
  return createClient({ servers: address, env: {}, hashLongKeys: true, codec: rawCodec, ...options });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface Running {
  readonly url: string;
  request(
    path: string,
    options?: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<Reply>;
  close(): Promise<void>;
}

/** The options of {@link requestAt}: those of `Running.request`, and the local address to send from. */
export type RequestOptions = NonNullable<Parameters<Running['request']>[1]> & { localAddress?: string };

/** One plain HTTP/1.1 request to 127.0.0.1:`port` (no decompression, no keep-alive). */
export function requestAt(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Serves `app` on a free loopback port; `request` speaks plain HTTP/1.1 (no decompression, no keep-alive). */
export async function serve(app: Express): Promise<Running> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    request: (path, options = {}) => requestAt(port, path, options),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let prefixes = 0;
/** A key prefix no other test uses, so tests sharing one memcached never see each other's entries. */
export function uniquePrefix(): string {
  prefixes += 1;
  return `t${process.pid}.${prefixes}.${Date.now().toString(36)}:`;
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
