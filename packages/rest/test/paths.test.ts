import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Client, createClient } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { frameworks, type Running, requestAt, serve } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { type CacheRouter, cacheRouter } from '../src/index.js';

/**
 * The router reads the path as it was sent: no dot-segment is resolved (WHATWG URL parsing turns
 * `/%2e%2e` and `/x/%2E%2E` into `/`, which with `allowFlush` is `flush_all`), and a malformed path is
 * a 4xx, never a 500. A flush answers only `DELETE /` itself.
 */

let memcached: MemcachedServer;
let direct: Client;
const SENTINEL = 'paths-sentinel';
beforeAll(async () => {
  memcached = await startMemcached();
  direct = createClient({ servers: memcached.address, env: {} });
});
afterAll(async () => {
  await direct.close();
  await memcached.stop();
});

const auth = { 'x-api-key': 'paths-key' };

function router(): CacheRouter {
  const made = cacheRouter({
    apiKey: 'paths-key',
    allowFlush: true,
    memcached: { servers: memcached.address, env: {} },
  });
  onTestFinished(() => made.close());
  return made;
}

/** Paths inside the router (after its mount point) that name no key and are not `/`. */
const ATTACKS = [
  '/%2e%2e',
  '/%2E%2E',
  '/%2e%2E/',
  '/..',
  '/.',
  '/%2e',
  '/x/%2E%2E',
  '/x/%2e%2e/',
  '/x/..',
  '/./',
  '//',
  '//evil.example/',
  '/%2e%2e?keys=a',
];

/** Sends `DELETE <path>` for every attack and checks each is a 4xx and nothing was flushed. */
async function expectNoFlush(running: Running, prefix: string): Promise<void> {
  await direct.set(SENTINEL, 'still here');
  for (const attack of ATTACKS) {
    const path = `${prefix}${attack}`;
    const reply = await running.request(path, { method: 'DELETE', headers: auth });
    expect([400, 404], `DELETE ${path} answered ${reply.status} ${reply.text}`).toContain(reply.status);
    expect(JSON.parse(reply.text).error.code, path).toMatch(/^ERR_MEMWIRE_/);
    expect(await direct.get(SENTINEL), `DELETE ${path} flushed the servers`).toBe('still here');
  }
}

describe.each(frameworks)('$name: cacheRouter paths', (framework) => {
  test('mounted at /cache: dot-segments and empty segments flush nothing and are 4xx', async () => {
    const app = framework.create();
    app.use('/cache', router());
    const running = await serve(app);
    onTestFinished(() => running.close());
    await expectNoFlush(running, '/cache');
  });

  test('mounted at the root: the same', async () => {
    const app = framework.create();
    app.use(router());
    const running = await serve(app);
    onTestFinished(() => running.close());
    await expectNoFlush(running, '');
  });

  test('DELETE / itself still flushes (the one literal route)', async () => {
    const app = framework.create();
    app.use('/cache', router());
    const running = await serve(app);
    onTestFinished(() => running.close());
    await direct.set(SENTINEL, 'still here');
    expect((await running.request('/cache', { method: 'DELETE', headers: auth })).status).toBe(204);
    expect(await direct.get(SENTINEL)).toBeUndefined();
  });
});

describe('cacheRouter on plain node:http', () => {
  async function plain() {
    const handle = router();
    const server = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as AddressInfo;
    return { port, handle };
  }

  test('dot-segments and empty segments flush nothing and are 4xx', async () => {
    const { port } = await plain();
    const running = wrap(port);
    await expectNoFlush(running, '');
  });

  test('a key spelled ".." or "." is a 400, not a route', async () => {
    const { port } = await plain();
    const running = wrap(port);
    for (const path of ['/..', '/%2e%2e', '/.', '/%2E']) {
      const put = await running.request(path, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"value":1}',
      });
      expect(put.status, path).toBe(400);
    }
  });

  test('an absolute-form target (RFC 9112 §3.2.2) is read by its path, without resolving it', async () => {
    const { port } = await plain();
    const running = wrap(port);
    await direct.set(SENTINEL, 'still here');
    const key = `abs-${Date.now().toString(36)}`;
    const put = await running.request(`http://cache.example/${key}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"value":"absolute"}',
    });
    expect(put.status).toBe(204);
    expect(await direct.get(`rest:${key}`)).toBe('absolute');
    const dotted = await running.request('http://cache.example/x/%2e%2e', {
      method: 'DELETE',
      headers: auth,
    });
    expect(dotted.status).toBe(404);
    expect(await direct.get(SENTINEL)).toBe('still here');
  });

  test.each([['*'], ['/%'], ['/a%2']])('the target %s is a 400', async (target) => {
    const { port } = await plain();
    const running = wrap(port);
    const reply = await running.request(target, { method: 'DELETE', headers: auth });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error.code).toMatch(/^ERR_MEMWIRE_/);
  });
});

/** A raw HTTP/1.1 requester (as serve() gives) for a server already listening on `port`. */
function wrap(port: number): Running {
  return {
    url: `http://127.0.0.1:${port}`,
    request: (path, options) => requestAt(port, path, options),
    close: async () => {},
  };
}
