import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { type ResponseCacheOptions, responseCache } from '../../src/index.js';
import { cacheClient, delay, frameworks, harness, resourceOf, serve, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: stampede protection', (framework) => {
  test('concurrent misses in one process run the handler once', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/slow', cache, (_req, res) => {
        runs++;
        setTimeout(() => res.set('Cache-Control', 'max-age=60').send(`run ${runs}`), 100);
      });
    });
    onTestFinished(() => h.close());
    const replies = await Promise.all(Array.from({ length: 20 }, () => h.request('/slow')));
    expect(runs).toBe(1);
    expect(new Set(replies.map((reply) => reply.text))).toEqual(new Set(['run 1']));
    expect(replies.filter((reply) => reply.headers['x-cache'] === 'MISS')).toHaveLength(1);
  });

  test('across processes, the add lock lets one run the handler while the others wait for its response', async () => {
    const prefix = uniquePrefix();
    let runs = 0;
    // Two "processes": separate clients and middlewares sharing one memcached and one key prefix.
    const instances = await Promise.all(
      [0, 1].map(async () => {
        const client = cacheClient(memcached.address);
        const cache = responseCache({ client, keyPrefix: prefix });
        const app: Express = framework.create();
        app.get('/slow', cache, (_req, res) => {
          runs++;
          setTimeout(() => res.set('Cache-Control', 'max-age=60').send(`run ${runs}`), 200);
        });
        const running = await serve(app);
        return { client, cache, running };
      }),
    );
    onTestFinished(async () => {
      for (const { client, cache, running } of instances) {
        await running.close();
        await cache.close();
        await client.close();
      }
    });
    const replies = await Promise.all(
      // Behind one load balancer: every process sees the same public host.
      instances.flatMap(({ running }) =>
        Array.from({ length: 5 }, () => running.request('/slow', { headers: { host: 'shop.test' } })),
      ),
    );
    expect(runs).toBe(1);
    expect(new Set(replies.map((reply) => reply.text))).toEqual(new Set(['run 1']));
  });

  test('a lock whose holder died delays the others by at most lockWait', async () => {
    let runs = 0;
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        app.get('/r', cache, (_req, res) => {
          runs++;
          res.set('Cache-Control', 'max-age=60').send('ok');
        });
      },
      { lockWait: 300 },
    );
    onTestFinished(() => h.close());
    await h.client.set(
      `${h.cache.cache.config.keyPrefix}l:${resourceOf(h.running, '/r')}`,
      'a dead process',
      { ttl: 30 },
    );
    const started = Date.now();
    const reply = await h.request('/r');
    expect([reply.status, reply.text]).toEqual([200, 'ok']);
    expect(runs).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('stale-while-revalidate: one refresh runs in the background, every request gets the stale entry at once', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        const delayMs = runs === 1 ? 0 : 300;
        setTimeout(
          () => res.set('Cache-Control', 'max-age=1, stale-while-revalidate=30').send(`run ${runs}`),
          delayMs,
        );
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.cache.settled();
    await delay(1100);
    const replies = await Promise.all(Array.from({ length: 6 }, () => h.request('/r')));
    await h.cache.settled();
    expect(runs).toBe(2);
    const byStatus = replies.map((reply) => `${reply.headers['x-cache']} ${reply.text}`).sort();
    expect(byStatus).toEqual([
      'STALE run 1',
      'STALE run 1',
      'STALE run 1',
      'STALE run 1',
      'STALE run 1',
      'STALE run 1',
    ]);
    const after = await h.after('/r');
    expect([after.headers['x-cache'], after.text]).toEqual(['HIT', 'run 2']);
  });

  test('stale-if-error: a failing origin is answered with the stale entry', async () => {
    let fail = false;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        if (fail) throw new Error('the database is down');
        res.set('Cache-Control', 'max-age=1, stale-if-error=60').send('good');
      });
      app.get('/plain', cache, (_req, res) => {
        if (fail) {
          res.status(503).send('down');
          return;
        }
        res.set('Cache-Control', 'max-age=1').send('good');
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    await h.request('/plain');
    await h.cache.settled();
    await delay(1100);
    fail = true;
    const stale = await h.request('/r');
    expect([stale.status, stale.text, stale.headers['x-cache']]).toEqual([200, 'good', 'STALE']);
    expect(stale.headers['content-type']).toMatch(/^text\/html/);
    const error = await h.request('/plain');
    expect([error.status, error.text]).toEqual([503, 'down']);
  });

  test('must-revalidate: never served stale, stale-while-revalidate or not', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        res.set('Cache-Control', 'max-age=1, stale-while-revalidate=30, must-revalidate').send(`run ${runs}`);
      });
    });
    onTestFinished(() => h.close());
    await h.request('/r');
    expect((await h.after('/r')).headers['x-cache']).toBe('HIT');
    await delay(1100);
    const replies = await Promise.all([h.request('/r'), h.request('/r')]);
    expect(replies.map((reply) => reply.text)).toEqual(['run 2', 'run 2']);
  });

  test('responses that cannot be shared stop requests from waiting on one another', async () => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/private', cache, (_req, res) => {
        runs++;
        setTimeout(() => res.set('Cache-Control', 'private').send('mine'), 50);
      });
    });
    onTestFinished(() => h.close());
    await h.request('/private');
    await h.cache.settled();
    const started = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => h.request('/private')));
    expect(runs).toBe(6);
    // Waiting one behind another would take 5 × 50 ms; in parallel, about 50.
    expect(Date.now() - started).toBeLessThan(240);
  });
});

test('without the lock, each process leads its own misses', async () => {
  const options: ResponseCacheOptions = { lock: false };
  let runs = 0;
  const h = await harness(
    frameworks[0],
    memcached.address,
    (app, cache) => {
      app.get('/r', cache, (_req, res) => {
        runs++;
        setTimeout(() => res.set('Cache-Control', 'max-age=60').send('x'), 50);
      });
    },
    options,
  );
  onTestFinished(() => h.close());
  await Promise.all(Array.from({ length: 5 }, () => h.request('/r')));
  expect(runs).toBe(1);
});
