import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { responseCache } from '../../src/index.js';
import { cacheClient, frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: invalidation', (framework) => {
  async function shop() {
    const runs = new Map<string, number>();
    const count = (path: string) => {
      const n = (runs.get(path) ?? 0) + 1;
      runs.set(path, n);
      return n;
    };
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/products', cache, (req, res) => {
        res.locals['cacheTags'] = ['products'];
        res.set('Cache-Control', 'max-age=60').send(`list ${count(req.originalUrl)}`);
      });
      app.get('/products/:id', cache, (req, res) => {
        res.set({ 'Cache-Control': 'max-age=60', 'X-Cache-Tags': `product-${req.params.id}, products` });
        res.set('Vary', 'Accept-Language').send(`product ${req.params.id} ${count(req.originalUrl)}`);
      });
      app.post('/products', cache, (req, res) => {
        const status = Number(req.query['status'] ?? 201);
        res.status(status).location('/products/2').send('created');
      });
      app.put('/products/:id', cache, (_req, res) => res.send('updated'));
      app.delete('/products/:id', cache, (_req, res) => res.status(204).end());
      app.patch('/products/:id', cache, (_req, res) => res.status(409).send('conflict'));
    });
    onTestFinished(() => h.close());
    return h;
  }

  test('invalidate(url) drops every variant of the URL, HEAD included', async () => {
    const h = await shop();
    const en = { headers: { 'accept-language': 'en' } };
    const fr = { headers: { 'accept-language': 'fr' } };
    await h.request('/products/1', en);
    await h.after('/products/1', fr);
    expect((await h.after('/products/1', en)).headers['x-cache']).toBe('HIT');
    await h.cache.invalidate('/products/1');
    expect((await h.request('/products/1', en)).text).toBe('product 1 3');
    expect((await h.request('/products/1', fr)).text).toBe('product 1 4');
    expect((await h.after('/products/1', { method: 'HEAD', headers: en.headers })).headers['x-cache']).toBe(
      'HIT',
    );
    await h.cache.invalidate('/products/1');
    expect((await h.after('/products/1', { method: 'HEAD', headers: en.headers })).headers['x-cache']).toBe(
      'MISS',
    );
  });

  test('invalidate(url) leaves other URLs alone, and takes absolute URLs', async () => {
    const h = await shop();
    await h.request('/products/1');
    await h.request('/products/2');
    await h.cache.settled();
    await h.cache.invalidate('http://shop.test/products/1');
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
    expect((await h.request('/products/2')).headers['x-cache']).toBe('HIT');
  });

  test('tags from res.locals and from the tag header invalidate together', async () => {
    const h = await shop();
    await h.request('/products');
    await h.request('/products/1');
    await h.request('/products/2');
    await h.cache.settled();
    await h.cache.invalidateTags('product-1');
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
    expect((await h.request('/products/2')).headers['x-cache']).toBe('HIT');
    expect((await h.request('/products')).headers['x-cache']).toBe('HIT');
    await h.cache.settled();
    await h.cache.invalidateTags(['products']);
    for (const path of ['/products', '/products/1', '/products/2']) {
      expect((await h.request(path)).headers['x-cache']).toBe('MISS');
    }
  });

  test('a successful POST, PUT or DELETE invalidates its URL before the client gets the answer', async () => {
    const h = await shop();
    await h.request('/products');
    await h.request('/products/1');
    await h.cache.settled();
    const post = await h.request('/products', { method: 'POST' });
    expect(post.headers['x-cache']).toBe('BYPASS');
    expect((await h.request('/products')).headers['x-cache']).toBe('MISS');
    await h.cache.settled();
    await h.request('/products/1', { method: 'PUT' });
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
    await h.cache.settled();
    await h.request('/products/1', { method: 'DELETE' });
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
  });

  test('a POST invalidates the URL its Location names', async () => {
    const h = await shop();
    await h.request('/products/2');
    await h.cache.settled();
    await h.request('/products', { method: 'POST' });
    expect((await h.request('/products/2')).headers['x-cache']).toBe('MISS');
  });

  test('a failed POST or PATCH invalidates nothing', async () => {
    const h = await shop();
    await h.request('/products');
    await h.request('/products/1');
    await h.cache.settled();
    await h.request('/products?status=500', { method: 'POST' });
    await h.request('/products/1', { method: 'PATCH' });
    expect((await h.request('/products')).headers['x-cache']).toBe('HIT');
    expect((await h.request('/products/1')).headers['x-cache']).toBe('HIT');
  });

  test('invalidation by one process is seen by another', async () => {
    const h = await shop();
    await h.request('/products/1');
    await h.cache.settled();
    const client = cacheClient(memcached.address);
    const other = responseCache({ client, keyPrefix: h.cache.cache.config.keyPrefix });
    try {
      await other.invalidate('/products/1');
    } finally {
      await client.close();
    }
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
  });

  test('a response made before an invalidation that lands while it is stored is not kept', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/slow', cache, (_req, res) => {
        runs++;
        // The first response is made, then held back while someone invalidates the URL.
        if (runs === 1) release = () => res.set('Cache-Control', 'max-age=60').send('old');
        else res.set('Cache-Control', 'max-age=60').send('new');
      });
    });
    onTestFinished(() => h.close());
    const pending = h.request('/slow');
    while (runs === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await h.cache.invalidate('/slow');
    release();
    expect((await pending).text).toBe('old');
    expect((await h.after('/slow')).text).toBe('new');
    expect((await h.after('/slow')).text).toBe('new');
  });

  test('an evicted generation counter costs a miss, never a stale hit', async () => {
    const h = await shop();
    await h.request('/products/1');
    await h.cache.settled();
    expect((await h.request('/products/1')).headers['x-cache']).toBe('HIT');
    await h.client.delete(`${h.cache.cache.config.keyPrefix}g:/products/1`);
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
    expect((await h.after('/products/1')).headers['x-cache']).toBe('HIT');
    await h.cache.invalidate('/products/1');
    expect((await h.request('/products/1')).headers['x-cache']).toBe('MISS');
  });
});
