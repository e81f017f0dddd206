import { ConfigError, createClient } from '@memwire/core';
import express from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { frameworks, serve } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { type CacheRouterOptions, cacheRouter } from '../src/index.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

const API_KEY = 'sëcret-key-1';
const auth = { 'x-api-key': API_KEY };
const json = { ...auth, 'content-type': 'application/json' };

describe.each(frameworks)('$name: cacheRouter', (framework) => {
  async function service(
    options: Partial<CacheRouterOptions> = {},
    address = memcached.address,
    front = false,
  ) {
    const router = cacheRouter({
      apiKey: API_KEY,
      memcached: { servers: address, env: {}, commandTimeout: 300 },
      ...options,
    });
    const app = framework.create();
    if (front) app.use(express.json());
    app.use('/cache', router);
    const running = await serve(app);
    onTestFinished(async () => {
      await running.close();
      await router.close();
    });
    let n = 0;
    const key = () => `k${Date.now().toString(36)}${++n}${framework.name.length}`;
    return { router, running, request: running.request, key };
  }

  test('PUT then GET round-trips every kind of JSON value', async () => {
    const s = await service();
    for (const value of [{ a: [1, { b: null }] }, [1, 'two'], 'text ✓', 42.5, true, null]) {
      const key = s.key();
      const put = await s.request(`/cache/${key}`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ value }),
      });
      expect(put.status).toBe(204);
      const got = await s.request(`/cache/${key}`, { headers: auth });
      expect(got.status).toBe(200);
      expect(got.headers['content-type']).toMatch(/^application\/json/);
      expect(got.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(got.text)).toEqual(value);
    }
  });

  test('a body parser in front is fine', async () => {
    const s = await service({}, memcached.address, true);
    const key = s.key();
    await s.request(`/cache/${key}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ value: { parsed: true } }),
    });
    expect(JSON.parse((await s.request(`/cache/${key}`, { headers: auth })).text)).toEqual({ parsed: true });
  });

  test('GET of a missing key is 404', async () => {
    const s = await service();
    const reply = await s.request(`/cache/${s.key()}`, { headers: auth });
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toEqual({
      error: { code: 'ERR_MEMWIRE_HTTP_NOT_FOUND', message: 'no value for this key' },
    });
  });

  test('POST / stores a batch, GET /?keys= reads the hits in order', async () => {
    const s = await service();
    const [a, b, c] = [s.key(), s.key(), s.key()];
    const post = await s.request('/cache', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        resource: [
          { key: a, value: 1 },
          { key: b, value: { x: 'y' }, ttl: 60 },
        ],
      }),
    });
    expect(post.status).toBe(201);
    expect(JSON.parse(post.text)).toEqual({ resource: [{ key: a }, { key: b }] });
    const got = await s.request(`/cache?keys=${b},${c},${a}`, { headers: auth });
    expect(JSON.parse(got.text)).toEqual({
      resource: [
        { key: b, value: { x: 'y' } },
        { key: a, value: 1 },
      ],
    });
  });

  test('DELETE /:key is 204, then 404', async () => {
    const s = await service();
    const key = s.key();
    await s.request(`/cache/${key}`, { method: 'PUT', headers: json, body: '{"value":1}' });
    expect((await s.request(`/cache/${key}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await s.request(`/cache/${key}`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });

  test('DELETE / flushes only with allowFlush', async () => {
    const server = await startMemcached();
    onTestFinished(() => server.stop());
    const refused = await service({}, server.address);
    expect((await refused.request('/cache', { method: 'DELETE', headers: auth })).status).toBe(403);
    const s = await service({ allowFlush: true }, server.address);
    const key = s.key();
    await s.request(`/cache/${key}`, { method: 'PUT', headers: json, body: '{"value":1}' });
    expect((await s.request('/cache', { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await s.request(`/cache/${key}`, { headers: auth })).status).toBe(404);
  });

  test('401 without the API key or with a wrong one', async () => {
    const s = await service();
    const attempts: Record<string, string>[] = [
      {},
      { 'x-api-key': 'wrong' },
      { 'x-api-key': `${API_KEY}x` },
      { 'x-api-key': '' },
    ];
    for (const headers of attempts) {
      const reply = await s.request(`/cache/${s.key()}`, { headers });
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.text).error.code).toBe('ERR_MEMWIRE_HTTP_UNAUTHORIZED');
      expect(reply.text).not.toContain(API_KEY);
    }
  });

  test('several API keys, a custom header, or none when explicitly disabled', async () => {
    const several = await service({ apiKey: ['one', 'two'], apiKeyHeader: 'Authorization-Key' });
    expect((await several.request('/cache/x', { headers: { 'authorization-key': 'two' } })).status).toBe(404);
    const open = await service({ apiKey: false });
    expect((await open.request('/cache/x')).status).toBe(404);
    expect(() => cacheRouter({} as CacheRouterOptions)).toThrow(ConfigError);
    expect(() => cacheRouter({ apiKey: '' })).toThrow(ConfigError);
  });

  test.each([
    ['over 250 bytes', `/cache/${'k'.repeat(251)}`],
    ['a control character', '/cache/a%01b'],
    ['a space', '/cache/a%20b'],
    ['bad percent-encoding', '/cache/%zz'],
  ])('400 for a key with %s', async (_name, path) => {
    const s = await service();
    const reply = await s.request(path, { headers: auth });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error.code).toMatch(/^ERR_MEMWIRE_/);
  });

  test('400 for a bad body, 415 for one that is not JSON', async () => {
    const s = await service();
    const key = s.key();
    const put = (body: string, headers: Record<string, string> = json) =>
      s.request(`/cache/${key}`, { method: 'PUT', headers, body });
    expect((await put('{not json')).status).toBe(400);
    expect((await put('{"ttl":1}')).status).toBe(400);
    expect((await put('{"value":1,"ttl":1.5}')).status).toBe(400);
    expect(
      (await put('value=1', { ...auth, 'content-type': 'application/x-www-form-urlencoded' })).status,
    ).toBe(415);
    const batch = await s.request('/cache', {
      method: 'POST',
      headers: json,
      body: '{"resource":[{"key":"a b","value":1}]}',
    });
    expect(batch.status).toBe(400);
  });

  test('413 for a value over the item size, and for a body over maxBodySize', async () => {
    const s = await service({ maxBodySize: 4 * 1024 * 1024 });
    const value = 'x'.repeat(1024 * 1024);
    const reply = await s.request(`/cache/${s.key()}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ value }),
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text).error.code).toBe('ERR_MEMWIRE_VALUE_TOO_LARGE');
    const huge = await s.request(`/cache/${s.key()}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ value: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });

  test('TTLs are read as memcached reads them', async () => {
    const s = await service();
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      [s.key(), 0, 200],
      [s.key(), 3600, 200],
      [s.key(), now + 3600, 200], // an absolute Unix time
      [s.key(), now - 10, 404], // an absolute time in the past: expired at once
      [s.key(), -1, 404],
    ] as const;
    for (const [key, ttl, status] of cases) {
      await s.request(`/cache/${key}`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ value: 'v', ttl }),
      });
      expect((await s.request(`/cache/${key}`, { headers: auth })).status).toBe(status);
    }
  });

  test('405 for other methods, 404 for deeper paths, 400 for GET / without keys', async () => {
    const s = await service();
    const patch = await s.request('/cache/x', { method: 'PATCH', headers: auth });
    expect([patch.status, patch.headers.allow]).toEqual([405, 'GET, PUT, DELETE']);
    expect((await s.request('/cache/a/b', { headers: auth })).status).toBe(404);
    expect((await s.request('/cache', { headers: auth })).status).toBe(400);
  });

  test('503 when memcached is unreachable, with nothing about the server in the body', async () => {
    const server = await startMemcached();
    const s = await service({}, server.address);
    await server.stop();
    const replies = [
      await s.request('/cache/k', { headers: auth }),
      await s.request('/cache?keys=a,b', { headers: auth }),
      await s.request('/cache/k', { method: 'PUT', headers: json, body: '{"value":1}' }),
      await s.request('/cache/k', { method: 'DELETE', headers: auth }),
      await s.request('/cache', {
        method: 'POST',
        headers: json,
        body: '{"resource":[{"key":"a","value":1}]}',
      }),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(503);
      expect(JSON.parse(reply.text)).toEqual({
        error: { code: 'ERR_MEMWIRE_HTTP_UNAVAILABLE', message: 'the cache is unreachable' },
      });
      expect(reply.text).not.toContain(String(server.port));
    }
  });

  test('a refused login is a 503 that names no credential', async () => {
    const server = await startMemcached({ auth: { username: 'memwire', password: 'right-password' } });
    onTestFinished(() => server.stop());
    const s = await service({
      memcached: {
        servers: server.address,
        env: {},
        username: 'memwire',
        password: 'wrong-password',
        commandTimeout: 300,
      },
    });
    const reply = await s.request('/cache/k', { headers: auth });
    expect(reply.status).toBe(503);
    for (const secret of ['wrong-password', 'memwire', 'at ', String(server.port)])
      expect(reply.text).not.toContain(secret);
  });
});

test('works with a client it is given, on plain node:http', async () => {
  const { createServer } = await import('node:http');
  const client = createClient({ servers: memcached.address, env: {} });
  const router = cacheRouter({ apiKey: false, client });
  const server = createServer((req, res) => router(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    await new Promise((resolve) => server.close(resolve));
    await client.close();
  });
  const { port } = server.address() as { port: number };
  const put = await fetch(`http://127.0.0.1:${port}/plain`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: '{"value":[1]}',
  });
  expect(put.status).toBe(204);
  expect(await (await fetch(`http://127.0.0.1:${port}/plain`)).json()).toEqual([1]);
});

describe('cacheRouter keeps to its own key prefix', () => {
  async function service(options: Partial<CacheRouterOptions> = {}) {
    const router = cacheRouter({
      apiKey: API_KEY,
      memcached: { servers: memcached.address, env: {} },
      ...options,
    });
    const app = express();
    app.use('/cache', router);
    const running = await serve(app);
    const direct = createClient({ servers: memcached.address, env: {} });
    onTestFinished(async () => {
      await running.close();
      await router.close();
      await direct.close();
    });
    return { request: running.request, direct };
  }

  test("by default every key is stored under 'rest:', and answers name the caller's keys", async () => {
    const s = await service();
    const key = `own-${Date.now().toString(36)}`;
    await s.request(`/cache/${key}`, { method: 'PUT', headers: json, body: '{"value":"mine"}' });
    expect(await s.direct.get(`rest:${key}`)).toBe('mine');
    expect(await s.direct.get(key)).toBeUndefined();
    const post = await s.request('/cache', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ resource: [{ key: `${key}b`, value: 2 }] }),
    });
    expect(JSON.parse(post.text)).toEqual({ resource: [{ key: `${key}b` }] });
    const got = await s.request(`/cache?keys=${key},${key}b`, { headers: auth });
    expect(JSON.parse(got.text)).toEqual({
      resource: [
        { key, value: 'mine' },
        { key: `${key}b`, value: 2 },
      ],
    });
  });

  test('a key naming another adapter’s prefix stays under the router’s', async () => {
    const s = await service();
    const page = `http:g:forged-${Date.now().toString(36)}`;
    await s.direct.set(page, 'the real page');
    expect((await s.request(`/cache/${encodeURIComponent(page)}`, { headers: auth })).status).toBe(404);
    await s.request(`/cache/${encodeURIComponent(page)}`, {
      method: 'PUT',
      headers: json,
      body: '{"value":"x"}',
    });
    expect(await s.direct.get(page)).toBe('the real page');
    expect(await s.direct.get(`rest:${page}`)).toBe('x');
  });

  test('the prefix counts toward the 250 bytes, and the message says so', async () => {
    const s = await service({ keyPrefix: 'service-a:' });
    const reply = await s.request(`/cache/${'k'.repeat(245)}`, { headers: auth });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error.message).toContain('with the prefix "service-a:"');
  });

  test('a keyPrefix memcached cannot take is refused when the router is made', () => {
    for (const keyPrefix of ['a b', 'tab\t', 'é:'])
      expect(() => cacheRouter({ apiKey: API_KEY, keyPrefix })).toThrow(ConfigError);
  });
});
