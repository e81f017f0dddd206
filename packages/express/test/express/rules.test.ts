import type { Express, Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import type { ResponseCacheMiddleware, ResponseCacheOptions } from '../../src/index.js';
import { delay, frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: RFC 9111 rules', (framework) => {
  /** An app whose `/r` route answers with `respond`, counting its runs. */
  async function route(
    respond: (req: Request, res: Response, runs: number) => void,
    options: ResponseCacheOptions = {},
    setup?: (app: Express, cache: ResponseCacheMiddleware) => void,
  ) {
    let runs = 0;
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        setup?.(app, cache);
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

  test('stores a response and serves it with its status, headers and body, plus Age', async () => {
    const h = await route((_req, res, runs) => {
      res
        .status(203)
        .set({ 'Cache-Control': 'max-age=60', 'X-Custom': 'kept' })
        .type('text/plain')
        .send(`run ${runs}`);
    });
    const first = await h.request('/r');
    const second = await h.after('/r');
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.status).toBe(203);
    expect(second.text).toBe('run 1');
    expect(second.headers['cache-control']).toBe('max-age=60');
    expect(second.headers['x-custom']).toBe('kept');
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers.date).toBe(first.headers.date);
    expect(second.headers['content-length']).toBe('5');
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(h.runs()).toBe(1);
  });

  test('a hit carries the Date the application sent, not the time it was served (RFC 9110 §6.6.1)', async () => {
    const h = await route((_req, res, runs) => {
      res.set('Cache-Control', 'max-age=60').send(`run ${runs}`);
    });
    const first = await h.request('/r');
    // Past the next whole second: a Date stamped when the hit is written would differ.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await h.after('/r');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(first.headers.date).toMatch(/GMT$/);
    expect(second.headers.date).toBe(first.headers.date);
  });

  test.each([
    ['no-store', 'no-store'],
    ['private', 'private, max-age=60'],
    ['no-cache', 'no-cache'],
  ])('never stores a %s response', async (_name, cacheControl) => {
    const h = await route((_req, res, runs) => {
      res.set('Cache-Control', cacheControl).send(`run ${runs}`);
    });
    await h.request('/r');
    const second = await h.after('/r');
    expect(second.headers['x-cache']).toBe('MISS');
    expect(second.text).toBe('run 2');
  });

  test('never stores a response carrying Set-Cookie, even public', async () => {
    const h = await route((_req, res, runs) => {
      res.set('Cache-Control', 'public, max-age=60').cookie('sid', `user${runs}`).send(`run ${runs}`);
    });
    const first = await h.request('/r');
    const second = await h.after('/r');
    expect(first.headers['set-cookie']?.[0]).toMatch(/^sid=user1/);
    expect(second.headers['x-cache']).toBe('MISS');
    expect(second.headers['set-cookie']?.[0]).toMatch(/^sid=user2/);
  });

  test('never stores Vary: *', async () => {
    const h = await route((_req, res, runs) => {
      res.set({ 'Cache-Control': 'max-age=60', Vary: '*' }).send(`run ${runs}`);
    });
    await h.request('/r');
    expect((await h.after('/r')).text).toBe('run 2');
  });

  test('keeps one variant per value of the fields named by Vary', async () => {
    const h = await route((req, res, runs) => {
      res
        .set({ 'Cache-Control': 'max-age=60', Vary: 'Accept-Language' })
        .send(`${req.get('accept-language')} ${runs}`);
    });
    const en = { headers: { 'accept-language': 'en' } };
    const fr = { headers: { 'accept-language': 'fr' } };
    expect((await h.request('/r', en)).text).toBe('en 1');
    expect((await h.after('/r', fr)).text).toBe('fr 2');
    const enAgain = await h.after('/r', en);
    const frAgain = await h.after('/r', fr);
    expect([enAgain.text, enAgain.headers['x-cache']]).toEqual(['en 1', 'HIT']);
    expect([frAgain.text, frAgain.headers['x-cache']]).toEqual(['fr 2', 'HIT']);
    expect(frAgain.headers.vary).toBe('Accept-Language');
    const none = await h.after('/r');
    expect(none.text).toBe('undefined 3');
  });

  test('honours s-maxage before max-age', async () => {
    const h = await route((_req, res, runs) => {
      res.set('Cache-Control', 's-maxage=1, max-age=600').send(`run ${runs}`);
    });
    await h.request('/r');
    expect((await h.after('/r')).headers['x-cache']).toBe('HIT');
    await delay(1100);
    expect((await h.request('/r')).text).toBe('run 2');
  });

  test('honours max-age before Expires', async () => {
    const h = await route((_req, res, runs) => {
      res
        .set({ 'Cache-Control': 'max-age=1', Expires: new Date(Date.now() + 600_000).toUTCString() })
        .send(`${runs}`);
    });
    await h.request('/r');
    await h.after('/r');
    await delay(1100);
    expect((await h.request('/r')).text).toBe('2');
  });

  test('honours Expires when there is no max-age, and stores nothing already expired', async () => {
    let expires = new Date(Date.now() + 600_000).toUTCString();
    const h = await route((_req, res, runs) => {
      res.set('Expires', expires).send(`${runs}`);
    });
    await h.request('/r');
    expect((await h.after('/r')).headers['x-cache']).toBe('HIT');
    await h.cache.invalidate('/r');
    expires = 'Thu, 01 Jan 1970 00:00:00 GMT';
    await h.request('/r');
    expect((await h.after('/r')).text).toBe('3');
  });

  test('gives a response that states no freshness the configured ttl', async () => {
    const h = await route((_req, res, runs) => res.send(`${runs}`), { ttl: 1 });
    await h.request('/r');
    expect((await h.after('/r')).headers['x-cache']).toBe('HIT');
    await delay(1100);
    expect((await h.request('/r')).text).toBe('2');
  });

  test('with ttl 0 stores only responses that state their freshness', async () => {
    const h = await route((_req, res, runs) => res.send(`${runs}`), { ttl: 0 });
    await h.request('/r');
    expect((await h.after('/r')).text).toBe('2');
  });

  test('sends Age counting from when the response was stored', async () => {
    const h = await route((_req, res) => res.set('Cache-Control', 'max-age=60').send('x'));
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    expect(Number((await h.request('/r')).headers.age)).toBeGreaterThanOrEqual(1);
  });

  test('with ignoreRequestDirectives: false, revalidates on a request no-cache and bypasses on no-store', async () => {
    const h = await route((_req, res, runs) => res.set('Cache-Control', 'max-age=60').send(`${runs}`), {
      ignoreRequestDirectives: false,
    });
    await h.request('/r');
    const noCache = await h.after('/r', { headers: { 'cache-control': 'no-cache' } });
    expect([noCache.text, noCache.headers['x-cache']]).toEqual(['2', 'MISS']);
    expect((await h.after('/r')).text).toBe('2');
    const noStore = await h.after('/r', { headers: { 'cache-control': 'no-store' } });
    expect([noStore.text, noStore.headers['x-cache']]).toEqual(['3', 'BYPASS']);
    expect((await h.after('/r')).text).toBe('2');
    const maxAge0 = await h.after('/r', { headers: { 'cache-control': 'max-age=0' } });
    expect(maxAge0.text).toBe('4');
  });

  test('ignores the request directives by default, and when told to', async () => {
    const byDefault = await route((_req, res, runs) =>
      res.set('Cache-Control', 'max-age=60').send(`${runs}`),
    );
    await byDefault.request('/r');
    const reply = await byDefault.after('/r', {
      headers: { 'cache-control': 'no-cache', pragma: 'no-cache' },
    });
    expect([reply.text, reply.headers['x-cache']]).toEqual(['1', 'HIT']);

    const h = await route((_req, res, runs) => res.set('Cache-Control', 'max-age=60').send(`${runs}`), {
      ignoreRequestDirectives: true,
    });
    await h.request('/r');
    for (const cacheControl of ['no-cache', 'no-store', 'max-age=0']) {
      const reply = await h.after('/r', { headers: { 'cache-control': cacheControl, pragma: 'no-cache' } });
      expect([reply.text, reply.headers['x-cache']]).toEqual(['1', 'HIT']);
    }
  });

  test('stores a 404 (cacheable by default) but never a 500 or a 206', async () => {
    let status = 404;
    const h = await route((_req, res, runs) => res.status(status).send(`${runs}`));
    await h.request('/r');
    expect((await h.after('/r')).headers['x-cache']).toBe('HIT');
    await h.cache.invalidate('/r');
    for (status of [500, 206]) {
      await h.request('/r');
      expect((await h.after('/r')).headers['x-cache']).toBe('MISS');
    }
  });

  test.each(['60.5', '61abc', '-3600', '59, 1'])(
    'ignores an Age of %s, which is not a non-negative integer (RFC 9111 §5.1)',
    async (age) => {
      const h = await route((_req, res, runs) =>
        res.set({ 'Cache-Control': 'max-age=60', Age: age }).send(`${runs}`),
      );
      await h.request('/r');
      const second = await h.after('/r');
      expect([second.text, second.headers['x-cache']]).toEqual(['1', 'HIT']);
      // Counted from when it was stored, not from the upstream Age (59 read as 59 would say 59).
      expect(Number(second.headers.age)).toBeLessThan(30);
    },
  );

  test.each([0, 60])(
    'stores an error that states its freshness, never one that does not (ttl %i)',
    async (ttl) => {
      let status = 503;
      let cacheControl: string | undefined = 'max-age=60';
      const h = await route(
        (_req, res, runs) => {
          if (cacheControl !== undefined) res.set('Cache-Control', cacheControl);
          res.status(status).send(`${runs}`);
        },
        { ttl },
      );
      await h.request('/r');
      const stored = await h.after('/r');
      expect([stored.status, stored.text, stored.headers['x-cache']]).toEqual([503, '1', 'HIT']);
      await h.cache.invalidate('/r');
      for ([status, cacheControl] of [
        [403, undefined],
        [500, undefined],
        [418, 'max-age=60'],
        [299, 'max-age=60'],
      ] as const) {
        await h.request('/r');
        expect((await h.after('/r')).headers['x-cache']).toBe('MISS');
      }
    },
  );

  test('does not store the hop-by-hop fields, nor the tag header', async () => {
    const h = await route((_req, res) =>
      res
        .set({
          'Cache-Control': 'max-age=60',
          'Keep-Alive': 'timeout=5',
          'X-Cache-Tags': 'a,b',
          'X-Other': '1',
        })
        .send('x'),
    );
    const first = await h.request('/r');
    const second = await h.after('/r');
    expect(first.headers['x-cache-tags']).toBeUndefined();
    expect(second.headers['x-cache-tags']).toBeUndefined();
    expect(second.headers['x-other']).toBe('1');
    expect(second.headers['keep-alive']).toBeUndefined();
  });

  test('leaves the headers of middleware in front to that middleware', async () => {
    let id = 0;
    const h = await route(
      (_req, res) => res.set('Cache-Control', 'max-age=60').send('x'),
      {},
      (app) =>
        app.use((_req, res, next) => {
          res.set('X-Request-Id', String(++id));
          next();
        }),
    );
    await h.request('/r');
    const second = await h.after('/r');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['x-request-id']).toBe('2');
  });

  test('caches URLs longer than memcached keys', async () => {
    const h = await route((req, res) =>
      res.set('Cache-Control', 'max-age=60').send(req.originalUrl.length.toString()),
    );
    const long = `/r?q=${'x'.repeat(2000)}`;
    await h.request(long);
    const second = await h.after(long);
    expect([second.text, second.headers['x-cache']]).toEqual(['2005', 'HIT']);
    expect((await h.after(`${long}y`)).headers['x-cache']).toBe('MISS');
  });

  test('names the status header as configured, or sends none', async () => {
    const named = await route((_req, res) => res.set('Cache-Control', 'max-age=60').send('x'), {
      cacheStatusHeader: 'X-My-Cache',
    });
    await named.request('/r');
    expect((await named.after('/r')).headers['x-my-cache']).toBe('HIT');
    const none = await route((_req, res) => res.set('Cache-Control', 'max-age=60').send('x'), {
      cacheStatusHeader: false,
    });
    await none.request('/r');
    const reply = await none.after('/r');
    expect(reply.headers['x-cache']).toBeUndefined();
    expect(reply.headers.age).toBeDefined();
  });

  test('keys by a custom key, and keeps apps apart by keyPrefix', async () => {
    const h = await route((req, res) => res.set('Cache-Control', 'max-age=60').send(req.originalUrl), {
      key: (req) => (req.originalUrl ?? '/').split('?')[0]!,
    });
    await h.request('/r?utm=1');
    expect((await h.after('/r?utm=2')).text).toBe('/r?utm=1');
  });
});

describe.each(frameworks)('$name: HEAD and conditional requests', (framework) => {
  async function app() {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        res
          .set({ 'Cache-Control': 'max-age=60', 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' })
          .send(`body ${runs}`);
      });
    });
    onTestFinished(() => h.close());
    return Object.assign(h, { runs: () => runs });
  }

  test('answers HEAD from the GET entry, with its Content-Length and no body', async () => {
    const h = await app();
    await h.request('/r');
    const head = await h.after('/r', { method: 'HEAD' });
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.headers['content-length']).toBe('6');
    expect(head.body.length).toBe(0);
    expect(h.runs()).toBe(1);
  });

  test('never stores a body-less HEAD as the GET', async () => {
    const h = await app();
    const head = await h.request('/r', { method: 'HEAD' });
    expect(head.headers['x-cache']).toBe('MISS');
    const get = await h.after('/r');
    expect([get.headers['x-cache'], get.text]).toEqual(['MISS', 'body 2']);
    expect((await h.after('/r')).text).toBe('body 2');
  });

  test('answers a matching If-None-Match with 304 from the cache, comparing weakly', async () => {
    const h = await app();
    const first = await h.request('/r');
    const etag = first.headers.etag!;
    expect(etag.startsWith('W/')).toBe(true);
    for (const tag of [etag, etag.slice(2), `"nope", ${etag}`, '*']) {
      const reply = await h.after('/r', { headers: { 'if-none-match': tag } });
      expect(reply.status).toBe(304);
      expect(reply.body.length).toBe(0);
      expect(reply.headers.etag).toBe(etag);
      expect(reply.headers['cache-control']).toBe('max-age=60');
      expect(reply.headers['x-cache']).toBe('HIT');
    }
    const other = await h.after('/r', { headers: { 'if-none-match': '"nope"' } });
    expect([other.status, other.text]).toEqual([200, 'body 1']);
    expect(h.runs()).toBe(1);
  });

  test('answers If-Modified-Since with 304 when nothing changed', async () => {
    const h = await app();
    await h.request('/r');
    const reply = await h.after('/r', { headers: { 'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT' } });
    expect(reply.status).toBe(304);
    const older = await h.after('/r', { headers: { 'if-modified-since': 'Wed, 21 Oct 2015 07:00:00 GMT' } });
    expect(older.status).toBe(200);
  });

  test('does not store the 304 an application answers a conditional miss with', async () => {
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/same', cache, (_req, res) => res.set('Cache-Control', 'max-age=60').send('always the same'));
    });
    onTestFinished(() => h.close());
    const first = await h.request('/same');
    await h.cache.invalidate('/same');
    const conditional = await h.after('/same', { headers: { 'if-none-match': first.headers.etag! } });
    expect([conditional.status, conditional.headers['x-cache']]).toEqual([304, 'MISS']);
    const full = await h.after('/same');
    expect([full.status, full.headers['x-cache'], full.text]).toEqual([200, 'MISS', 'always the same']);
    expect((await h.after('/same')).headers['x-cache']).toBe('HIT');
  });
});
