import { gunzipSync } from 'node:zlib';
import compress from '@fastify/compress';
import fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { delay, uniquePrefix } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { responseCache } from '../src/index.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

async function app(options: Record<string, unknown> = {}, fastifyOptions: Record<string, unknown> = {}) {
  const instance = fastify(fastifyOptions);
  await instance.register(responseCache, {
    memcached: { servers: memcached.address, env: {} },
    keyPrefix: uniquePrefix(),
    ttl: 60,
    ...options,
  });
  onTestFinished(() => instance.close());
  return instance;
}

describe('Fastify glue', () => {
  test('a route with config.responseCache false never goes through the cache', async () => {
    const a = await app();
    let calls = 0;
    a.get('/health', { config: { responseCache: false } }, () => `ok ${++calls}`);
    const first = await a.inject('/health');
    await a.responseCache.settled();
    const second = await a.inject('/health');
    expect([first.body, second.body, second.headers['x-cache']]).toEqual(['ok 1', 'ok 2', undefined]);
  });

  test('X-Forwarded-Host counts only from a proxy Fastify trusts', async () => {
    for (const trustProxy of [false, true]) {
      const a = await app({}, { trustProxy });
      a.get('/home', (request) => `host ${request.hostname}`);
      await a.inject({ url: '/home', headers: { host: 'shop.example', 'x-forwarded-host': 'evil.example' } });
      await a.responseCache.settled();
      const plain = await a.inject({ url: '/home', headers: { host: 'shop.example' } });
      // Untrusted: the forged header did not shape the page, so the plain request hits it.
      // Trusted: the page was built for evil.example, and is not the one shop.example gets.
      expect([plain.body, plain.headers['x-cache']]).toEqual([
        'host shop.example',
        trustProxy ? 'MISS' : 'HIT',
      ]);
    }
  });

  test('stale-while-revalidate: the stale page is served, and refreshed through app.inject', async () => {
    const a = await app();
    let version = 0;
    a.get('/prices', (_request, reply) =>
      reply.header('cache-control', 'public, max-age=1, stale-while-revalidate=60').send(`v${++version}`),
    );
    await a.inject('/prices');
    await a.responseCache.settled();
    await delay(2100); // past max-age=1 (Age counts whole seconds)
    const stale = await a.inject('/prices');
    expect([stale.body, stale.headers['x-cache']]).toEqual(['v1', 'STALE']);
    await a.responseCache.settled();
    const fresh = await a.inject('/prices');
    expect([fresh.body, fresh.headers['x-cache']]).toEqual(['v2', 'HIT']);
  });

  test('with @fastify/compress: the compressed body is stored by its encoding and served as stored, never twice', async () => {
    const a = fastify();
    onTestFinished(() => a.close());
    await a.register(compress, { threshold: 0 });
    await a.register(responseCache, {
      memcached: { servers: memcached.address, env: {} },
      keyPrefix: uniquePrefix(),
      ttl: 60,
    });
    const body = 'a long enough body to compress, '.repeat(20);
    a.get('/text', (_request, reply) => reply.type('text/plain').send(body));
    const gzip = { 'accept-encoding': 'gzip' };
    const first = await a.inject({ url: '/text', headers: gzip });
    await a.responseCache.settled();
    const hit = await a.inject({ url: '/text', headers: gzip });
    const plain = await a.inject({ url: '/text', headers: { 'accept-encoding': 'identity' } });
    expect([first.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(hit.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(hit.rawPayload).toString('utf8')).toBe(body);
    // Keyed by Accept-Encoding (compress sends Vary): a client without gzip gets the identity body.
    expect([plain.headers['content-encoding'], plain.body]).toEqual([undefined, body]);
  });

  test('closing Fastify closes the client the plugin created', async () => {
    const a = await app();
    const client = a.responseCache.client as { closed?: boolean; get(key: string): Promise<unknown> };
    await a.close();
    await expect(client.get('anything')).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_MEMWIRE/),
    });
  });
});
