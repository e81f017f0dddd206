import type { Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import type { ResponseCacheOptions } from '../../src/index.js';
import { delay, frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: Cache-Control and Pragma are read case-insensitively', (framework) => {
  /** An app whose `/r` route answers with `respond`, counting its runs. */
  async function route(
    respond: (req: Request, res: Response, runs: number) => void,
    options: ResponseCacheOptions = {},
  ) {
    let runs = 0;
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        app.get('/r', cache, (req, res) => {
          runs++;
          respond(req, res, runs);
        });
      },
      options,
    );
    onTestFinished(() => h.close());
    return Object.assign(h, { runs: () => runs });
  }

  test.each([
    'Private, max-age=600',
    'PRIVATE, max-age=600',
    'max-age=600, Private="X-Account"',
    'No-Store',
    'No-Store, max-age=600',
    'No-Cache, max-age=600',
    'no-cache="Set-Cookie", max-age=600',
    'S-MaxAge=0, max-age=600',
    'Max-Age=0',
    'max-age=0, max-age=600',
  ])('never serves Alice’s %s response to Bob, whatever the ttl', async (cacheControl) => {
    for (const ttl of [60, 0]) {
      const h = await route(
        (req, res) => res.set('Cache-Control', cacheControl).send(`for ${req.get('x-user')}`),
        { ttl },
      );
      await h.request('/r', { headers: { 'x-user': 'alice' } });
      const bob = await h.after('/r', { headers: { 'x-user': 'bob' } });
      expect([bob.text, bob.headers['x-cache']]).toEqual(['for bob', 'MISS']);
    }
  });

  test('never stores a response whose only word is Pragma: No-Cache (RFC 9111 §5.4)', async () => {
    const h = await route((req, res) => res.set('Pragma', 'No-Cache').send(`for ${req.get('x-user')}`));
    await h.request('/r', { headers: { 'x-user': 'alice' } });
    const bob = await h.after('/r', { headers: { 'x-user': 'bob' } });
    expect([bob.text, bob.headers['x-cache']]).toEqual(['for bob', 'MISS']);
  });

  test.each([0, 60])('stores Max-Age and S-Maxage in any case (ttl %i)', async (ttl) => {
    for (const cacheControl of ['Max-Age=600', 'S-MAXAGE=600']) {
      const h = await route((_req, res, runs) => res.set('Cache-Control', cacheControl).send(`${runs}`), {
        ttl,
      });
      await h.request('/r');
      const second = await h.after('/r');
      expect([second.text, second.headers['x-cache'], second.headers['cache-control']]).toEqual([
        '1',
        'HIT',
        cacheControl,
      ]);
    }
  });

  test('reads Public: a response to a request with a cookie is shared', async () => {
    const h = await route((_req, res, runs) => res.set('Cache-Control', 'Public').send(`${runs}`));
    await h.request('/r', { headers: { cookie: 'sid=alice' } });
    const bob = await h.after('/r', { headers: { cookie: 'sid=bob' } });
    expect([bob.text, bob.headers['x-cache']]).toEqual(['1', 'HIT']);
  });

  test('reads Must-Revalidate: a response to a request with Authorization is shared', async () => {
    const h = await route((_req, res, runs) =>
      res.set('Cache-Control', 'Must-Revalidate, Max-Age=60').send(`${runs}`),
    );
    await h.request('/r', { headers: { authorization: 'Bearer alice' } });
    const bob = await h.after('/r', { headers: { authorization: 'Bearer bob' } });
    expect([bob.text, bob.headers['x-cache']]).toEqual(['1', 'HIT']);
  });

  test.each(['Must-Revalidate', 'PROXY-REVALIDATE'])(
    'never serves a %s response stale, even within stale-while-revalidate',
    async (directive) => {
      const h = await route((_req, res, runs) =>
        res.set('Cache-Control', `max-age=1, ${directive}, stale-while-revalidate=30`).send(`${runs}`),
      );
      await h.request('/r');
      await h.cache.settled();
      await delay(1100);
      const later = await Promise.all([h.request('/r'), h.request('/r')]);
      expect(later.map((reply) => reply.headers['x-cache'])).not.toContain('STALE');
      expect(later.map((reply) => reply.text)).not.toContain('1');
    },
  );

  test('reads Stale-While-Revalidate: the stale entry is served while one request refreshes it', async () => {
    const h = await route((_req, res, runs) => {
      // The refresh is slow, so the second request comes while it runs.
      const send = () => res.set('Cache-Control', 'max-age=1, Stale-While-Revalidate=30').send(`${runs}`);
      if (runs === 1) send();
      else setTimeout(send, 300);
    });
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const [a, b] = await Promise.all([h.request('/r'), h.request('/r')]);
    // Both at once, the first included; one refresh runs in the background.
    expect([`${a.headers['x-cache']} ${a.text}`, `${b.headers['x-cache']} ${b.text}`]).toEqual([
      'STALE 1',
      'STALE 1',
    ]);
    await h.cache.settled();
    const refreshed = await h.request('/r');
    expect(`${refreshed.headers['x-cache']} ${refreshed.text}`).toBe('HIT 2');
  });

  test('reads Stale-If-Error: the stale entry stands in for a 500', async () => {
    const h = await route((_req, res, runs) => {
      if (runs === 1) res.set('Cache-Control', 'max-age=1, STALE-IF-ERROR=60').send('good');
      else res.status(500).send('broken');
    });
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const later = await h.request('/r');
    expect([later.status, later.text, later.headers['x-cache']]).toEqual([200, 'good', 'STALE']);
  });

  describe('request directives, when honoured (ignoreRequestDirectives: false)', () => {
    const honour = { ignoreRequestDirectives: false };
    const fresh = (_req: Request, res: Response, runs: number) =>
      res.set('Cache-Control', 'max-age=60').send(`${runs}`);

    test.each([
      ['cache-control', 'No-Cache', 'MISS'],
      ['cache-control', 'MAX-AGE=0', 'MISS'],
      ['cache-control', 'Min-Fresh=120', 'MISS'],
      ['cache-control', 'No-Store', 'BYPASS'],
      ['pragma', 'No-Cache', 'MISS'],
    ])('%s: %s goes to the application', async (field, value, status) => {
      const h = await route(fresh, honour);
      await h.request('/r');
      const reply = await h.after('/r', { headers: { [field]: value } });
      expect([reply.text, reply.headers['x-cache']]).toEqual(['2', status]);
    });

    test('Max-Stale accepts a stale entry', async () => {
      // stale-if-error keeps the item in memcached past its freshness.
      const h = await route(
        (_req, res, runs) => res.set('Cache-Control', 'max-age=1, stale-if-error=60').send(`${runs}`),
        honour,
      );
      await h.request('/r');
      await h.cache.settled();
      await delay(1100);
      const reply = await h.request('/r', { headers: { 'cache-control': 'Max-Stale' } });
      expect([reply.text, reply.headers['x-cache']]).toEqual(['1', 'STALE']);
    });

    test('Only-If-Cached gets a 504 on a miss, without running the application', async () => {
      const h = await route(fresh, honour);
      const miss = await h.request('/r', { headers: { 'cache-control': 'Only-If-Cached' } });
      expect(miss.status).toBe(504);
      expect(h.runs()).toBe(0);
      await h.request('/r');
      const hit = await h.after('/r', { headers: { 'cache-control': 'only-if-cached' } });
      expect([hit.status, hit.text, hit.headers['x-cache']]).toEqual([200, '1', 'HIT']);
    });
  });

  describe('request directives, by default', () => {
    test.each<Record<string, string>>([
      { 'cache-control': 'no-cache' },
      { 'cache-control': 'max-age=0' },
      { 'cache-control': 'no-store' },
      { pragma: 'no-cache' },
    ])('%o cannot make the application answer again, nor rewrite the stored entry', async (headers) => {
      const h = await route((req, res, runs) =>
        res.set('Cache-Control', 'max-age=60').send(`${runs} for ${req.get('x-user') ?? 'anyone'}`),
      );
      await h.request('/r');
      const attacker = await h.after('/r', { headers: { ...headers, 'x-user': 'attacker' } });
      expect([attacker.text, attacker.headers['x-cache']]).toEqual(['1 for anyone', 'HIT']);
      expect((await h.after('/r')).text).toBe('1 for anyone');
      expect(h.runs()).toBe(1);
    });
  });
});

describe.each(frameworks)('$name: targeted Cache-Control fields (RFC 9213)', (framework) => {
  async function route(headers: Record<string, string>, options: ResponseCacheOptions = {}) {
    let runs = 0;
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        app.get('/r', cache, (_req, res) => {
          runs++;
          res.set(headers).send(`${runs}`);
        });
      },
      options,
    );
    onTestFinished(() => h.close());
    return h;
  }

  test('Memwire-Cache-Control replaces Cache-Control for this cache, and is never sent', async () => {
    const h = await route({ 'Cache-Control': 'no-store', 'Memwire-Cache-Control': 'max-age=60' });
    const first = await h.request('/r');
    const second = await h.after('/r');
    expect([second.text, second.headers['x-cache']]).toEqual(['1', 'HIT']);
    expect(second.headers['cache-control']).toBe('no-store');
    expect(first.headers['memwire-cache-control']).toBeUndefined();
    expect(second.headers['memwire-cache-control']).toBeUndefined();
  });

  test('CDN-Cache-Control replaces Cache-Control and Expires for this cache, and is sent on', async () => {
    const h = await route({
      'Cache-Control': 'max-age=600',
      Expires: new Date(Date.now() + 600_000).toUTCString(),
      'CDN-Cache-Control': 'no-store',
    });
    const first = await h.request('/r');
    const second = await h.after('/r');
    expect([second.text, second.headers['x-cache']]).toEqual(['2', 'MISS']);
    expect(first.headers['cdn-cache-control']).toBe('no-store');
    expect(first.headers['cache-control']).toBe('max-age=600');
  });

  test('the first targeted field present wins: ours before CDN-Cache-Control', async () => {
    const h = await route({ 'Memwire-Cache-Control': 'max-age=60', 'CDN-Cache-Control': 'private' });
    await h.request('/r');
    const second = await h.after('/r');
    expect([second.text, second.headers['x-cache'], second.headers['cdn-cache-control']]).toEqual([
      '1',
      'HIT',
      'private',
    ]);
  });

  test('a targeted field that does not parse is ignored: Cache-Control applies', async () => {
    const h = await route({ 'Cache-Control': 'private', 'CDN-Cache-Control': 'Max-Age=60' });
    await h.request('/r');
    expect((await h.after('/r')).text).toBe('2');
  });

  test('Memwire-Cache-Control set by middleware in front is not sent on hits either', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.use((_req, res, next) => {
        res.set('Memwire-Cache-Control', 'max-age=60');
        next();
      });
      app.get('/r', cache, (_req, res) => res.send(`${++runs}`));
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    const hit = await h.after('/r');
    expect([hit.text, hit.headers['x-cache'], hit.headers['memwire-cache-control']]).toEqual([
      '1',
      'HIT',
      undefined,
    ]);
  });

  test('the targeted fields are configurable, and can be turned off', async () => {
    const own = await route(
      { 'Cache-Control': 'no-store', 'Edge-Control': 'max-age=60', 'CDN-Cache-Control': 'max-age=60' },
      { targetedCacheControl: 'Edge-Control', cdnCacheControl: false },
    );
    await own.request('/r');
    const hit = await own.after('/r');
    expect([hit.text, hit.headers['edge-control'], hit.headers['cdn-cache-control']]).toEqual([
      '1',
      undefined,
      'max-age=60',
    ]);
    const none = await route(
      {
        'Cache-Control': 'no-store',
        'Memwire-Cache-Control': 'max-age=60',
        'CDN-Cache-Control': 'max-age=60',
      },
      { targetedCacheControl: false, cdnCacheControl: false },
    );
    await none.request('/r');
    const miss = await none.after('/r');
    expect([miss.text, miss.headers['memwire-cache-control']]).toEqual(['2', 'max-age=60']);
  });
});
