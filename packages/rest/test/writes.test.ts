import { type Client, createClient } from '@memwire/core';
import express from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { frameworks, serve } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { type CacheRouterOptions, cacheRouter } from '../src/index.js';

/**
 * A browser sends a cross-site POST without a preflight when its body is `text/plain`, a form type,
 * or has no Content-Type at all (a Blob without a type): the "simple" requests of the Fetch
 * Standard. Behind cookie auth (`apiKey: false`), any site could then write to the cache. Every write
 * must say `application/json`, which only a preflighted (CORS-allowed) request can send.
 */

let memcached: MemcachedServer;
let direct: Client;
beforeAll(async () => {
  memcached = await startMemcached();
  direct = createClient({ servers: memcached.address, env: {} });
});
afterAll(async () => {
  await direct.close();
  await memcached.stop();
});

describe.each(frameworks)('$name: cacheRouter writes', (framework) => {
  async function service(options: Partial<CacheRouterOptions> = {}, front?: express.RequestHandler) {
    const router = cacheRouter({
      apiKey: false,
      memcached: { servers: memcached.address, env: {} },
      ...options,
    });
    const app = framework.create();
    if (front !== undefined) app.use(front);
    app.use('/cache', router);
    const running = await serve(app);
    onTestFinished(async () => {
      await running.close();
      await router.close();
    });
    let n = 0;
    const key = () => `w${Date.now().toString(36)}${++n}${framework.name.length}`;
    return { request: running.request, key };
  }

  const simpleTypes = [
    ['no Content-Type', undefined],
    ['text/plain', 'text/plain'],
    ['text/plain; charset=utf-8', 'text/plain; charset=utf-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['JSON in another charset', 'application/json; charset=iso-8859-1'],
    ['a JSON-like type', 'application/jsonp'],
  ] as const;

  test.each(simpleTypes)('a PUT or POST with %s is 415 and writes nothing', async (_name, type) => {
    const s = await service();
    const key = s.key();
    const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
    const put = await s.request(`/cache/${key}`, { method: 'PUT', headers, body: '{"value":"csrf"}' });
    expect(put.status).toBe(415);
    expect(JSON.parse(put.text).error.code).toBe('ERR_MEMWIRE_HTTP_UNSUPPORTED_MEDIA_TYPE');
    const post = await s.request('/cache', {
      method: 'POST',
      headers,
      body: JSON.stringify({ resource: [{ key, value: 'csrf' }] }),
    });
    expect(post.status).toBe(415);
    expect(await direct.get(`rest:${key}`)).toBeUndefined();
  });

  test('a text/plain body read by a body parser in front is still 415', async () => {
    const s = await service({}, express.text({ type: '*/*' }));
    const key = s.key();
    const put = await s.request(`/cache/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: '{"value":"csrf"}',
    });
    expect(put.status).toBe(415);
    expect(await direct.get(`rest:${key}`)).toBeUndefined();
  });

  test.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"'])(
    'Content-Type %s is a write',
    async (type) => {
      const s = await service();
      const key = s.key();
      const put = await s.request(`/cache/${key}`, {
        method: 'PUT',
        headers: { 'content-type': type },
        body: '{"value":"ok"}',
      });
      expect(put.status).toBe(204);
      expect(await direct.get(`rest:${key}`)).toBe('ok');
    },
  );

  test('without an API key, a request a browser marks Sec-Fetch-Site: cross-site is 403', async () => {
    const s = await service();
    const key = s.key();
    await direct.set(`rest:${key}`, 'secret');
    const crossSite = { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' };
    const put = await s.request(`/cache/${key}`, { method: 'PUT', headers: crossSite, body: '{"value":1}' });
    expect(put.status).toBe(403);
    expect(JSON.parse(put.text).error.code).toBe('ERR_MEMWIRE_HTTP_FORBIDDEN');
    expect((await s.request(`/cache/${key}`, { headers: crossSite })).status).toBe(403);
    expect((await s.request(`/cache/${key}`, { method: 'DELETE', headers: crossSite })).status).toBe(403);
    expect(await direct.get(`rest:${key}`)).toBe('secret');
    for (const site of ['same-origin', 'same-site', 'none']) {
      const reply = await s.request(`/cache/${key}`, { headers: { 'sec-fetch-site': site } });
      expect(reply.status, site).toBe(200);
    }
  });

  test('cross-site is served with an API key (only a CORS-allowed request can send one), or allowCrossSite', async () => {
    const keyed = await service({ apiKey: 'writes-key' });
    const key = keyed.key();
    await direct.set(`rest:${key}`, 'shared');
    const withKey = await keyed.request(`/cache/${key}`, {
      headers: { 'sec-fetch-site': 'cross-site', 'x-api-key': 'writes-key' },
    });
    expect(withKey.status).toBe(200);
    const open = await service({ allowCrossSite: true });
    expect(
      (await open.request(`/cache/${key}`, { headers: { 'sec-fetch-site': 'cross-site' } })).status,
    ).toBe(200);
  });
});
