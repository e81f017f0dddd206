import { ErrorCodes } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { responseCache } from '../../src/index.js';
import { cacheClient, delay, frameworks, harness, requestAt, serve, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

const LAST_MODIFIED = 'Tue, 01 Dec 2026 10:00:00 GMT';

describe.each(frameworks)('$name: revalidation of a stale entry', (framework) => {
  test("a 304's Set-Cookie goes to the client it was meant for, never into the stored entry", async () => {
    let sessions = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/news', cache, (req, res) => {
        res.set({ 'Cache-Control': 'public, max-age=1', ETag: '"v1"' });
        // A session started on this page, for a visitor without one (two cookies: both must arrive).
        if (req.headers.cookie === undefined) {
          sessions++;
          res.cookie('sid', `s${sessions}`).cookie('seen', '1');
        }
        if (req.headers['if-none-match'] === '"v1"') res.status(304).end();
        else res.send('news');
      });
    });
    onTestFinished(() => h.close());
    await h.request('/news', { headers: { cookie: 'sid=old' } });
    await h.cache.settled();
    await delay(1100);
    const revalidated = await h.request('/news');
    expect([revalidated.status, revalidated.text, revalidated.headers['x-cache']]).toEqual([
      200,
      'news',
      'REVALIDATED',
    ]);
    expect(revalidated.headers['set-cookie']).toEqual([
      expect.stringMatching(/^sid=s1;/),
      expect.stringMatching(/^seen=1;/),
    ]);
    await h.cache.settled();
    // Nobody else gets that visitor's session.
    const other = await h.request('/news', { headers: { cookie: 'sid=mine' } });
    expect(other.headers['set-cookie']).toBeUndefined();
  });

  test('a stale entry with an ETag is revalidated: the 304 refreshes it and the client gets the stored body', async () => {
    const seen: Array<{ ifNoneMatch: string | undefined; status: number; body: unknown }> = [];
    let body = 'version 1';
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (req, res) => {
        // What the application hands on when it ends: its status, and its body if it sends one.
        const end = res.end;
        res.end = function (this: typeof res, ...args: unknown[]) {
          seen.push({ ifNoneMatch: req.headers['if-none-match'], status: res.statusCode, body: args[0] });
          return (end as (...a: unknown[]) => typeof res).apply(this, args);
        } as typeof res.end;
        // res.send: Express's weak ETag, and its own 304 when the request's If-None-Match matches it.
        res.set('Cache-Control', 'max-age=1').send(body);
      });
    });
    onTestFinished(() => h.close());
    const first = await h.request('/r');
    expect(first.headers['x-cache']).toBe('MISS');
    const etag = first.headers['etag'];
    expect(etag).toMatch(/^W\//);
    await h.cache.settled();
    await delay(1100);

    const revalidated = await h.request('/r');
    expect([revalidated.status, revalidated.text, revalidated.headers['x-cache']]).toEqual([
      200,
      'version 1',
      'REVALIDATED',
    ]);
    expect(revalidated.headers['content-length']).toBe('9');
    expect(revalidated.headers['etag']).toBe(etag);
    // The application ran, was asked conditionally, and answered 304 (Express sends no body then).
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ ifNoneMatch: undefined, status: 200 });
    expect([seen[1]?.ifNoneMatch, seen[1]?.status, String(seen[1]?.body ?? '')]).toEqual([etag, 304, '']);

    // The entry is fresh again: served without the application.
    const hit = await h.after('/r');
    expect([hit.status, hit.text, hit.headers['x-cache']]).toEqual([200, 'version 1', 'HIT']);
    expect(seen).toHaveLength(2);

    // A 200 instead of a 304 replaces the entry as usual.
    await delay(1100);
    body = 'version 2';
    const changed = await h.request('/r');
    expect([changed.status, changed.text, changed.headers['x-cache']]).toEqual([200, 'version 2', 'MISS']);
    expect((await h.after('/r')).text).toBe('version 2');
  });

  test('a stale entry with only Last-Modified is revalidated with If-Modified-Since', async () => {
    const seen: Array<string | undefined> = [];
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.set('etag', false);
      app.get('/r', cache, (req, res) => {
        seen.push(req.headers['if-modified-since']);
        res.set({ 'Cache-Control': 'max-age=1', 'Last-Modified': LAST_MODIFIED }).send('dated');
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const revalidated = await h.request('/r');
    expect([revalidated.status, revalidated.text, revalidated.headers['x-cache']]).toEqual([
      200,
      'dated',
      'REVALIDATED',
    ]);
    expect(seen).toEqual([undefined, LAST_MODIFIED]);
    expect((await h.after('/r')).headers['x-cache']).toBe('HIT');
    expect(seen).toHaveLength(2);
  });

  test("a client's own matching If-None-Match gets a 304 after the cache revalidated", async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        res.set('Cache-Control', 'max-age=1').send('same');
      });
    });
    onTestFinished(() => h.close());
    const first = await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const reply = await h.request('/r', { headers: { 'if-none-match': String(first.headers['etag']) } });
    expect([reply.status, reply.text, reply.headers['x-cache']]).toEqual([304, '', 'REVALIDATED']);
    expect(runs).toBe(2);
    // And the entry was refreshed for everyone.
    const hit = await h.after('/r');
    expect([hit.status, hit.text, hit.headers['x-cache']]).toEqual([200, 'same', 'HIT']);
  });

  test("a client's If-None-Match for another version gets the application's 304 as it is, and the entry stays", async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (req, res) => {
        runs++;
        // A handler answering conditionals itself, about a version the cache never stored.
        if (req.headers['if-none-match']?.includes('"theirs"')) {
          res.status(304).set({ ETag: '"theirs"', 'Cache-Control': 'max-age=1' }).end();
          return;
        }
        res.set({ ETag: '"ours"', 'Cache-Control': 'max-age=1' }).send('ours');
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const reply = await h.request('/r', { headers: { 'if-none-match': '"theirs"' } });
    expect([reply.status, reply.headers['etag']]).toEqual([304, '"theirs"']);
    await h.cache.settled();
    // Not taken for a refresh of "ours", nor for a response that cannot be shared: the next is revalidated.
    const next = await h.request('/r');
    expect([next.status, next.text, next.headers['x-cache']]).toEqual([200, 'ours', 'REVALIDATED']);
    expect(runs).toBe(3);
  });

  test("the cache's conditional headers are not the client's: a Vary on them still finds the refreshed entry", async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        res.set({ 'Cache-Control': 'max-age=1', Vary: 'If-None-Match' }).send('varied');
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    expect((await h.request('/r')).headers['x-cache']).toBe('REVALIDATED');
    const hit = await h.after('/r');
    expect([hit.text, hit.headers['x-cache']]).toEqual(['varied', 'HIT']);
    expect(runs).toBe(2);
  });
});

describe('the keep option', () => {
  test('keep: 0 stores a validated entry only while it may be served: expired, it is a plain miss', async () => {
    const seen: Array<string | undefined> = [];
    const h = await harness(
      frameworks[0],
      memcached.address,
      (app, cache) => {
        app.get('/r', cache, (req, res) => {
          seen.push(req.headers['if-none-match']);
          res.set('Cache-Control', 'max-age=1').send('body');
        });
      },
      { keep: 0 },
    );
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const reply = await h.request('/r');
    expect([reply.text, reply.headers['x-cache']]).toEqual(['body', 'MISS']);
    expect(seen).toEqual([undefined, undefined]);
  });

  test('a keep that is not a whole number of seconds from 0 to 86400 is a ConfigError', () => {
    const client = cacheClient(memcached.address);
    onTestFinished(() => client.close());
    for (const keep of [-1, 1.5, 86_401, Number.NaN]) {
      expect(() => responseCache({ client, keep })).toThrow(
        expect.objectContaining({ code: ErrorCodes.CONFIG }) as unknown as Error,
      );
    }
  });
});

describe.each(frameworks)('$name: stale-while-revalidate refreshes in the background', (framework) => {
  const SWR = 'max-age=1, stale-while-revalidate=30';

  test('a refresh of a variant for requests without a User-Agent refreshes that variant', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/ua', cache, (req, res) => {
        runs++;
        res
          .set({ 'Cache-Control': SWR, Vary: 'User-Agent' })
          .send(`run ${runs} for ${req.headers['user-agent'] ?? 'nobody'}`);
      });
    });
    onTestFinished(() => h.close());
    // Running.request sends no User-Agent.
    expect((await h.request('/ua')).text).toBe('run 1 for nobody');
    await h.cache.settled();
    await delay(1100);
    expect((await h.request('/ua')).headers['x-cache']).toBe('STALE');
    await h.cache.settled();
    const after = await h.request('/ua');
    expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'run 2 for nobody']);
  });

  test('a refresh the application keys differently (a custom key reading a header) never stores under the original key', async () => {
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        app.get('/dash', cache, (req, res) => {
          res.set('Cache-Control', SWR).send(`page of tenant ${req.get('x-tenant') ?? 'none'}`);
        });
      },
      { key: (req) => `${req.originalUrl ?? '/'}?tenant=${String(req.headers['x-tenant'])}` },
    );
    onTestFinished(() => h.close());
    const acme = { headers: { 'x-tenant': 'acme' } };
    expect((await h.request('/dash', acme)).text).toBe('page of tenant acme');
    await h.cache.settled();
    await delay(1100);
    expect((await h.request('/dash', acme)).headers['x-cache']).toBe('STALE');
    await h.cache.settled();
    // The refresh carried no X-Tenant: its page is another tenant's and must not be stored as acme's.
    expect((await h.request('/dash', acme)).text).toBe('page of tenant acme');
  });

  test('a refresh trusted where the client is not (trust proxy) never stores the page it shaped', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      // Only the proxy at 127.0.0.1 is trusted; the clients below come from 127.0.0.2.
      app.set('trust proxy', (address: string) => address === '127.0.0.1' || address === '::ffff:127.0.0.1');
      app.get('/', cache, (req, res) => {
        runs++;
        const page = `<a href="https://${req.hostname}/login">log in</a> ip=${req.ip} run ${runs}`;
        res.set('Cache-Control', SWR).send(page);
      });
    });
    onTestFinished(() => h.close());
    const port = Number(new URL(h.running.url).port);
    const fromOutside = async (headers: Record<string, string>) => {
      const reply = await requestAt(port, '/', { headers, localAddress: '127.0.0.2' });
      return { text: reply.text, cache: reply.headers['x-cache'] };
    };
    expect((await fromOutside({ host: 'shop.test' })).text).toContain('https://shop.test/login');
    await h.cache.settled();
    await delay(1100);
    const attack = await fromOutside({ host: 'shop.test', 'x-forwarded-host': 'evil.example' });
    expect(attack.cache).toBe('STALE');
    await h.cache.settled();
    const visitor = await fromOutside({ host: 'shop.test' });
    expect(visitor.text).not.toContain('evil.example');
    expect(visitor.text).toContain('https://shop.test/login');
    // The refresh comes from the client's own address, so the application trusts it no more than
    // the client: it is keyed as the client was, and refreshes the entry.
    expect(visitor.text).toContain('ip=127.0.0.2 run 2');
    expect(runs).toBe(2);
  });

  test('every request in the window, the first included, gets the stale entry while one refresh runs', async () => {
    let runs = 0;
    let release: () => void = () => {};
    let gate = Promise.resolve();
    let entered: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        const run = runs;
        if (run > 1) entered();
        void gate.then(() => res.set('Cache-Control', SWR).send(`run ${run}`));
      });
    });
    onTestFinished(async () => {
      release();
      await h.close();
    });
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    gate = new Promise((resolve) => {
      release = resolve;
    });

    // The handler is held on the gate: these can only be answered from the cache.
    const replies = await Promise.all(Array.from({ length: 6 }, () => h.request('/r')));
    expect(replies.map((reply) => `${reply.headers['x-cache']} ${reply.text}`)).toEqual(
      Array.from({ length: 6 }, () => 'STALE run 1'),
    );
    await reached;
    expect(runs).toBe(2);

    // settled() waits for the background refresh, which waits for the gate.
    let settled = false;
    const settling = h.cache.settled().then(() => {
      settled = true;
    });
    await delay(50);
    expect(settled).toBe(false);
    release();
    await settling;
    const after = await h.request('/r');
    expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'run 2']);
    expect(runs).toBe(2);
  });

  test('across processes, the lock lets one process refresh while both serve the stale entry', async () => {
    const prefix = uniquePrefix();
    let runs = 0;
    let release: () => void = () => {};
    let gate = Promise.resolve();
    // Two "processes": separate clients and middlewares sharing one memcached and one key prefix.
    const instances = await Promise.all(
      [0, 1].map(async () => {
        const client = cacheClient(memcached.address);
        const cache = responseCache({ client, keyPrefix: prefix });
        const app = framework.create();
        app.get('/r', cache, (_req, res) => {
          const run = ++runs;
          void gate.then(() => res.set('Cache-Control', SWR).send(`run ${run}`));
        });
        return { client, cache, running: await serve(app) };
      }),
    );
    onTestFinished(async () => {
      release();
      for (const { client, cache, running } of instances) {
        await running.close();
        await cache.close();
        await client.close();
      }
    });
    const [first, second] = instances as [(typeof instances)[0], (typeof instances)[0]];
    // Behind one load balancer: both processes see the same public host, so they share one key.
    const host = { headers: { host: 'shop.example' } };
    await first.running.request('/r', host);
    await first.cache.settled();
    await delay(1100);
    // The refresh is held on the gate: every reply can only come from the cache.
    gate = new Promise((resolve) => {
      release = resolve;
    });
    const replies = await Promise.all(
      instances.flatMap(({ running }) => Array.from({ length: 3 }, () => running.request('/r', host))),
    );
    expect(new Set(replies.map((reply) => `${reply.headers['x-cache']} ${reply.text}`))).toEqual(
      new Set(['STALE run 1']),
    );
    release();
    await Promise.all(instances.map(({ cache }) => cache.settled()));
    expect(runs).toBe(2);
    const after = await second.running.request('/r', host);
    expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'run 2']);
  });

  test('the refresh carries the keyed and varied fields only, never an unvaried Cookie or Authorization', async () => {
    const seen: Array<Record<string, string | undefined>> = [];
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (req, res) => {
        const { host, cookie, authorization } = req.headers;
        seen.push({ host, cookie, authorization, lang: req.headers['accept-language'] });
        res.set({ 'Cache-Control': `public, ${SWR}`, Vary: 'Accept-Language' }).send(`n${seen.length}`);
      });
    });
    onTestFinished(() => h.close());
    const headers = {
      host: 'shop.example',
      'accept-language': 'fr',
      cookie: 'session=alice',
      authorization: 'Bearer alice',
    };
    await h.request('/r', { headers });
    await h.cache.settled();
    await delay(1100);
    const stale = await h.request('/r', { headers });
    expect([stale.headers['x-cache'], stale.text]).toEqual(['STALE', 'n1']);
    await h.cache.settled();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({
      host: 'shop.example',
      cookie: undefined,
      authorization: undefined,
      lang: 'fr',
    });
    const hit = await h.request('/r', { headers: { host: 'shop.example', 'accept-language': 'fr' } });
    expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'n2']);
  });

  test('a refresh answered 304 refreshes the stale entry without a new body', async () => {
    const seen: Array<string | undefined> = [];
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (req, res) => {
        seen.push(req.headers['if-none-match']);
        res.set('Cache-Control', SWR).send('unchanged');
      });
    });
    onTestFinished(() => h.close());
    const first = await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    expect((await h.request('/r')).headers['x-cache']).toBe('STALE');
    await h.cache.settled();
    expect(seen).toEqual([undefined, first.headers['etag']]);
    const hit = await h.request('/r');
    expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'unchanged']);
  });

  test('a forged refresh header is an ordinary request: it gets the stale entry, and the refresh runs once', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        res.set('Cache-Control', SWR).send(`run ${runs}`);
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const forged = await h.request('/r', { headers: { 'x-memwire-refresh': 'guessed' } });
    expect([forged.headers['x-cache'], forged.text]).toEqual(['STALE', 'run 1']);
    await h.cache.settled();
    expect(runs).toBe(2);
  });

  test('a refresh whose handler fails is swallowed: the stale entry stays and is served', async () => {
    let fail = false;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        if (fail) throw new Error('the database is down');
        res.set('Cache-Control', SWR).send('good');
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    fail = true;
    expect((await h.request('/r')).text).toBe('good');
    await h.cache.settled();
    const again = await h.request('/r');
    expect([again.headers['x-cache'], again.text]).toEqual(['STALE', 'good']);
    await h.cache.settled();
  });
});

describe.each(frameworks)('$name: capture of an end that writes through res.write', (framework) => {
  test('the body is stored once when a response object ends by calling its own write (as light-my-request does)', async () => {
    const h = await harness(framework, memcached.address, (app, cache) => {
      // In front of the cache, like light-my-request's Response: end(chunk) is write(chunk) + end().
      app.use((_req, res, next) => {
        const end = res.end;
        res.end = function (this: typeof res, chunk?: unknown) {
          if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) this.write(chunk);
          return (end as (this: typeof res) => typeof res).call(this);
        } as typeof res.end;
        next();
      });
      app.get('/r', cache, (_req, res) => {
        res.set('Cache-Control', 'max-age=60').send('once');
      });
    });
    onTestFinished(() => h.close());
    expect((await h.request('/r')).text).toBe('once');
    const hit = await h.after('/r');
    expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', 'once']);
  });
});
