import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import type { ResponseCacheMiddleware, ResponseCacheOptions } from '../../src/index.js';
import { frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: the key holds the scheme and host the application sees', (framework) => {
  /** A page that links to itself by the host and scheme Express reports, as redirects and canonical links do. */
  async function site(
    options: ResponseCacheOptions = {},
    setup?: (app: Express, cache: ResponseCacheMiddleware) => void,
  ) {
    let runs = 0;
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        setup?.(app, cache);
        app.get('/page', cache, (req, res) => {
          runs++;
          res.locals['cacheTags'] = ['pages'];
          res.set('Cache-Control', 'max-age=60').send(`${req.protocol}://${req.hostname}/next ${runs}`);
        });
      },
      options,
    );
    onTestFinished(() => h.close());
    return Object.assign(h, { runs: () => runs });
  }

  test('a request with a foreign Host cannot replace the page other visitors get', async () => {
    const h = await site({ ignoreRequestDirectives: false });
    await h.request('/page', { headers: { host: 'shop.test' } });
    const poisoned = await h.after('/page', { headers: { host: 'evil.test', 'cache-control': 'no-cache' } });
    expect(poisoned.text).toBe('http://evil.test/next 2');
    const visitor = await h.after('/page', { headers: { host: 'shop.test' } });
    expect([visitor.text, visitor.headers['x-cache']]).toEqual(['http://shop.test/next 1', 'HIT']);
  });

  test('each host of a multi-tenant app keeps its own pages', async () => {
    const h = await site();
    const a = await h.request('/page', { headers: { host: 'a.test' } });
    const b = await h.after('/page', { headers: { host: 'b.test' } });
    expect([a.text, b.text, b.headers['x-cache']]).toEqual([
      'http://a.test/next 1',
      'http://b.test/next 2',
      'MISS',
    ]);
    expect((await h.after('/page', { headers: { host: 'a.test' } })).text).toBe('http://a.test/next 1');
  });

  test('behind a trusted proxy, X-Forwarded-Host and X-Forwarded-Proto are part of the key', async () => {
    const h = await site({}, (app) => app.set('trust proxy', true));
    const shop = { 'x-forwarded-host': 'shop.test', 'x-forwarded-proto': 'https' };
    await h.request('/page', { headers: shop });
    const evil = await h.after('/page', { headers: { ...shop, 'x-forwarded-host': 'evil.test' } });
    const plain = await h.after('/page', { headers: { ...shop, 'x-forwarded-proto': 'http' } });
    const again = await h.after('/page', { headers: shop });
    expect([evil.text, plain.text, again.text, again.headers['x-cache']]).toEqual([
      'https://evil.test/next 2',
      'http://shop.test/next 3',
      'https://shop.test/next 1',
      'HIT',
    ]);
  });

  test('without trust proxy, X-Forwarded-Host is not keyed: the application does not see it either', async () => {
    const h = await site();
    await h.request('/page', { headers: { host: 'shop.test' } });
    const forwarded = await h.after('/page', {
      headers: { host: 'shop.test', 'x-forwarded-host': 'evil.test' },
    });
    expect([forwarded.text, forwarded.headers['x-cache']]).toEqual(['http://shop.test/next 1', 'HIT']);
  });

  test('the host is compared lower-case, without its default port; another port is another origin', async () => {
    const h = await site();
    await h.request('/page', { headers: { host: 'Shop.Test' } });
    expect((await h.after('/page', { headers: { host: 'shop.test:80' } })).headers['x-cache']).toBe('HIT');
    const otherPort = await h.after('/page', { headers: { host: 'shop.test:8080' } });
    expect([otherPort.headers['x-cache'], otherPort.text]).toEqual(['MISS', 'http://shop.test/next 2']);
  });

  test.each(['shop.test/admin', 'shop.test?x', 'user@shop.test', 'a.test,b.test'])(
    'a Host the key cannot hold unambiguously (%s) is not cached',
    async (host) => {
      const h = await site();
      const first = await h.request('/page', { headers: { host } });
      const second = await h.request('/page', { headers: { host } });
      expect([first.headers['x-cache'], second.headers['x-cache'], h.runs()]).toEqual([
        'BYPASS',
        'BYPASS',
        2,
      ]);
    },
  );

  test('invalidate(path) and invalidateTags reach the page on every host', async () => {
    const h = await site();
    const hosts = ['a.test', 'b.test'];
    for (const host of hosts) await h.request('/page', { headers: { host } });
    await h.cache.settled();
    await h.cache.invalidate('/page');
    for (const host of hosts) {
      expect((await h.request('/page', { headers: { host } })).headers['x-cache']).toBe('MISS');
    }
    await h.cache.settled();
    await h.cache.invalidateTags('pages');
    for (const host of hosts) {
      expect((await h.request('/page', { headers: { host } })).headers['x-cache']).toBe('MISS');
    }
    expect((await h.after('/page', { headers: { host: 'a.test' } })).headers['x-cache']).toBe('HIT');
    await h.cache.invalidate('https://b.test/page');
    expect((await h.request('/page', { headers: { host: 'a.test' } })).headers['x-cache']).toBe('MISS');
  });

  test('a custom key keeps the host: it replaces the path and query only', async () => {
    const h = await site({ key: () => '/same' });
    await h.request('/page', { headers: { host: 'a.test' } });
    const b = await h.after('/page', { headers: { host: 'b.test' } });
    expect([b.text, b.headers['x-cache']]).toEqual(['http://b.test/next 2', 'MISS']);
    await h.cache.invalidate('/same');
    expect((await h.request('/page', { headers: { host: 'a.test' } })).headers['x-cache']).toBe('MISS');
  });
});

describe.each(frameworks)('$name: unsafe methods invalidate', (framework) => {
  async function shop(location: string, setup?: (app: Express) => void) {
    const runs = new Map<string, number>();
    const h = await harness(framework, memcached.address, (app, cache) => {
      setup?.(app);
      app.get('/products/:id', cache, (req, res) => {
        const n = (runs.get(req.params.id) ?? 0) + 1;
        runs.set(req.params.id, n);
        res.set('Cache-Control', 'max-age=60').send(`product ${req.params.id} ${n}`);
      });
      app.post('/login', cache, (_req, res) => res.redirect(303, location));
      app.all('/products/:id', cache, (_req, res) => res.status(200).send('done'));
    });
    onTestFinished(() => h.close());
    return h;
  }

  test('a Location of the origin the application sees is invalidated', async () => {
    const h = await shop('https://shop.test/products/2', (app) => app.set('trust proxy', true));
    const proxied = { 'x-forwarded-host': 'shop.test', 'x-forwarded-proto': 'https' };
    await h.request('/products/2', { headers: proxied });
    await h.cache.settled();
    await h.request('/login', { method: 'POST', headers: proxied });
    expect((await h.request('/products/2', { headers: proxied })).headers['x-cache']).toBe('MISS');
  });

  test.each(['https://127.0.0.1:{port}/products/2', 'http://evil.test/products/2', '//evil.test/products/2'])(
    'a Location of another scheme or host (%s) is not invalidated',
    async (template) => {
      let port = '';
      const h = await shop('/placeholder');
      port = new URL(h.running.url).port;
      const location = template.replace('{port}', port);
      h.app.post('/elsewhere', h.cache, (_req, res) => res.redirect(303, location));
      await h.request('/products/2');
      await h.cache.settled();
      await h.request('/elsewhere', { method: 'POST' });
      expect((await h.request('/products/2')).headers['x-cache']).toBe('HIT');
    },
  );

  test.each(['PURGE', 'MKCOL', 'LINK'])(
    '%s, a method not known to be safe, invalidates on success',
    async (method) => {
      const h = await shop('/');
      await h.request('/products/1');
      await h.cache.settled();
      const reply = await h.request('/products/1', { method });
      expect([reply.status, reply.headers['x-cache']]).toEqual([200, 'BYPASS']);
      expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
    },
  );

  test.each(['OPTIONS', 'TRACE'])('%s, a safe method, invalidates nothing', async (method) => {
    const h = await shop('/');
    await h.request('/products/1');
    await h.cache.settled();
    await h.request('/products/1', { method });
    expect((await h.request('/products/1')).headers['x-cache']).toBe('HIT');
  });
});
