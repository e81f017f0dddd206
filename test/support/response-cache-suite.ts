import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { Running } from './http.js';

// The behaviour every response-cache adapter (Express, Fastify) must show, written once and run per
// framework, the way @keyv/test-suite runs per store. Routes are framework-neutral; each harness
// mounts them with its framework's own API.

/** What a route answers: the harness writes it with the framework's reply API. */
export interface RouteAnswer {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

export interface SuiteRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Tags the route gives in the framework's own way (Express `res.locals.cacheTags`, Fastify route config). */
  tags?: readonly string[];
  answer(request: { headers: IncomingHttpHeaders; url: string }): RouteAnswer;
}

export interface SuiteApp {
  running: Running;
  invalidate(url: string): Promise<void>;
  invalidateTags(tags: string | Iterable<string>): Promise<void>;
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface SuiteHarness {
  name: string;
  /** Starts an app with the cache on every route: `servers` is memcached's address. */
  start(servers: string, options: Record<string, unknown>, routes: readonly SuiteRoute[]): Promise<SuiteApp>;
}

export function responseCacheSuite(harness: SuiteHarness, servers: () => string): void {
  describe(`${harness.name}: the shared response-cache behaviour`, () => {
    let calls = 0;
    async function app(routes: readonly SuiteRoute[], options: Record<string, unknown> = {}) {
      calls = 0;
      const counted = routes.map((route) => ({
        ...route,
        answer: (request: { headers: IncomingHttpHeaders; url: string }) => {
          calls += 1;
          return route.answer(request);
        },
      }));
      const started = await harness.start(servers(), { ttl: 60, ...options }, counted);
      onTestFinished(() => started.close());
      return started;
    }
    const get = (path: string, answer: SuiteRoute['answer'], tags?: readonly string[]): SuiteRoute => ({
      method: 'GET',
      path,
      answer,
      ...(tags === undefined ? {} : { tags }),
    });

    test('a miss, then a hit with the same body and an Age', async () => {
      const a = await app([get('/page', () => ({ body: `built ${calls}` }))]);
      const first = await a.running.request('/page');
      await a.settled();
      const second = await a.running.request('/page');
      expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      expect(second.text).toBe(first.text);
      expect(second.headers.age).toMatch(/^\d+$/);
      expect(calls).toBe(1);
    });

    test('Cache-Control: Private, in any letter case, is never served to another user', async () => {
      const a = await app([
        get('/me', (r) => ({
          headers: { 'cache-control': 'Private, max-age=60' },
          body: `hello ${r.headers.cookie}`,
        })),
      ]);
      await a.running.request('/me', { headers: { cookie: 'alice' } });
      await a.settled();
      const bob = await a.running.request('/me', { headers: { cookie: 'bob' } });
      expect(bob.text).toBe('hello bob');
      expect(calls).toBe(2);
    });

    test('no-store and Set-Cookie responses are not stored', async () => {
      const a = await app([
        get('/nostore', () => ({ headers: { 'cache-control': 'no-store' }, body: 'n' })),
        get('/cookie', () => ({ headers: { 'set-cookie': 'sid=alice' }, body: 'c' })),
      ]);
      for (const path of ['/nostore', '/cookie', '/nostore', '/cookie']) {
        await a.running.request(path);
        await a.settled();
      }
      expect(calls).toBe(4);
    });

    test('a response to Authorization is not shared unless it says public', async () => {
      const a = await app([get('/account', (r) => ({ body: `for ${r.headers.authorization}` }))]);
      await a.running.request('/account', { headers: { authorization: 'Bearer alice' } });
      await a.settled();
      const bob = await a.running.request('/account', { headers: { authorization: 'Bearer bob' } });
      expect(bob.text).toBe('for Bearer bob');
    });

    test('a forged Host gets an entry of its own: it cannot poison the real host’s page', async () => {
      const a = await app([get('/home', (r) => ({ body: `link to ${r.headers.host}` }))]);
      await a.running.request('/home', { headers: { host: 'evil.example' } });
      await a.settled();
      const real = await a.running.request('/home', { headers: { host: 'shop.example' } });
      expect(real.text).toBe('link to shop.example');
    });

    test('Vary keys the entry by the named request header', async () => {
      const a = await app([
        get('/greeting', (r) => ({
          headers: { vary: 'Accept-Language' },
          body: r.headers['accept-language'] === 'fr' ? 'bonjour' : 'hello',
        })),
      ]);
      await a.running.request('/greeting', { headers: { 'accept-language': 'fr' } });
      await a.settled();
      const en = await a.running.request('/greeting', { headers: { 'accept-language': 'en' } });
      await a.settled();
      const fr = await a.running.request('/greeting', { headers: { 'accept-language': 'fr' } });
      expect([en.text, fr.text, fr.headers['x-cache']]).toEqual(['hello', 'bonjour', 'HIT']);
    });

    test('If-None-Match gets a 304 from the cache; HEAD is answered from the GET entry', async () => {
      const a = await app([get('/tagged', () => ({ headers: { etag: '"v1"' }, body: 'etagged body' }))]);
      await a.running.request('/tagged');
      await a.settled();
      const conditional = await a.running.request('/tagged', { headers: { 'if-none-match': '"v1"' } });
      expect([conditional.status, conditional.text, conditional.headers['x-cache']]).toEqual([
        304,
        '',
        'HIT',
      ]);
      const head = await a.running.request('/tagged', { method: 'HEAD' });
      expect([head.status, head.text, head.headers['x-cache']]).toEqual([200, '', 'HIT']);
      expect(calls).toBe(1);
    });

    test('a successful POST invalidates its URL before the client hears back', async () => {
      let version = 1;
      const a = await app([
        get('/item', () => ({ body: `v${version}` })),
        {
          method: 'POST',
          path: '/item',
          answer: () => {
            version += 1;
            return { status: 204, body: '' };
          },
        },
      ]);
      await a.running.request('/item');
      await a.settled();
      await a.running.request('/item', { method: 'POST' });
      const after = await a.running.request('/item');
      expect([after.text, after.headers['x-cache']]).toEqual(['v2', 'MISS']);
    });

    test('invalidate(url) and invalidateTags() reach stored pages; the tag header is never sent', async () => {
      const a = await app([
        get('/by-route', () => ({ body: 'r' }), ['products']),
        get('/by-header', () => ({ headers: { 'x-cache-tags': 'prices' }, body: 'h' })),
        get('/plain', () => ({ body: 'p' })),
      ]);
      for (const path of ['/by-route', '/by-header', '/plain']) {
        const reply = await a.running.request(path);
        expect(reply.headers['x-cache-tags']).toBeUndefined();
      }
      await a.settled();
      await a.invalidateTags(['products', 'prices']);
      await a.invalidate('/plain');
      const again = await Promise.all(['/by-route', '/by-header', '/plain'].map((p) => a.running.request(p)));
      expect(again.map((r) => r.headers['x-cache'])).toEqual(['MISS', 'MISS', 'MISS']);
    });

    test('a dead memcached never fails the request', async () => {
      const a = await harness.start(
        '127.0.0.1:1',
        { ttl: 60, memcached: { servers: '127.0.0.1:1', env: {}, connectTimeout: 200, commandTimeout: 200 } },
        [get('/up', () => ({ body: 'still here' }))],
      );
      onTestFinished(() => a.close());
      const reply = await a.running.request('/up');
      expect([reply.status, reply.text]).toEqual([200, 'still here']);
    });
  });
}
