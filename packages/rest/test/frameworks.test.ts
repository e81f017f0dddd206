import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { requestAt, serve, uniquePrefix } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { type CacheRouter, cacheRouter } from '../src/index.js';

// cacheRouter is a node:http handler: besides Express (router.test.ts), it serves from a plain
// http.createServer and from Fastify, mounted as the README shows.

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

const json = { 'content-type': 'application/json' };

function router(): CacheRouter {
  const made = cacheRouter({
    apiKey: false,
    keyPrefix: uniquePrefix(),
    memcached: { servers: memcached.address, env: {} },
  });
  onTestFinished(() => made.close());
  return made;
}

/** The README's Fastify mount: the router gets Node's request, its body unread, under `prefix`. */
async function mountOnFastify(app: FastifyInstance, handler: CacheRouter, prefix: string): Promise<void> {
  await app.register(
    async (scope) => {
      // Leave every body in the raw stream for the router, which reads (and checks) it itself.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const handle = (request: { raw: object }, reply: { hijack(): void; raw: object }) => {
        reply.hijack();
        // The router reads the path after its mount point as Express gives it: the original URL less it.
        Object.assign(request.raw, { originalUrl: (request.raw as { url: string }).url, baseUrl: prefix });
        handler(request.raw as never, reply.raw as never);
      };
      scope.all('/', handle);
      scope.all('/*', handle);
    },
    { prefix },
  );
}

describe('cacheRouter outside Express', () => {
  test('plain http.createServer: the whole path is the router’s', async () => {
    const handler = router();
    const running = await serve((req: IncomingMessage, res: ServerResponse) => handler(req, res));
    onTestFinished(() => running.close());
    const put = await running.request('/greeting', { method: 'PUT', headers: json, body: '{"value":"hi"}' });
    const get = await running.request('/greeting');
    const missing = await running.request('/nothing');
    expect([put.status, get.status, get.text, missing.status]).toEqual([204, 200, '"hi"', 404]);
  });

  test('Fastify 5, mounted under /cache: writes, reads, deletes and refuses as under Express', async () => {
    const handler = router();
    const app = fastify();
    onTestFinished(() => app.close());
    await mountOnFastify(app, handler, '/cache');
    app.get('/other', () => 'the app’s own route');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const ask = (path: string, init?: Parameters<typeof requestAt>[2]) => requestAt(port, path, init);
    const put = await ask('/cache/greeting', { method: 'PUT', headers: json, body: '{"value":{"n":1}}' });
    const get = await ask('/cache/greeting');
    const untyped = await ask('/cache/greeting', { method: 'PUT', body: '{"value":2}' });
    const flush = await ask('/cache/', { method: 'DELETE' });
    const removed = await ask('/cache/greeting', { method: 'DELETE' });
    const after = await ask('/cache/greeting');
    const other = await ask('/other');
    expect([put.status, get.status, get.text]).toEqual([204, 200, '{"n":1}']);
    expect([untyped.status, flush.status, removed.status, after.status]).toEqual([415, 403, 204, 404]);
    expect(other.text).toBe('the app’s own route');
  });
});
