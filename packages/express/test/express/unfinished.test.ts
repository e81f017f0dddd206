import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { frameworks, harness, resourceOf } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

/** A GET that tolerates a broken response: whatever arrived before the connection closed. */
function looseGet(url: string, options: { abortAfterFirstByte?: boolean } = {}) {
  return new Promise<{ status: number; body: Buffer }>((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    const req = httpRequest(url, { agent: false }, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (options.abortAfterFirstByte) req.destroy();
      });
      res.on('error', () => {});
      res.on('close', () => resolve({ status, body: Buffer.concat(chunks) }));
    });
    req.on('error', () => resolve({ status, body: Buffer.concat(chunks) }));
    req.end();
  });
}

describe.each(frameworks)('$name: what the application did not finish is never stored', (framework) => {
  async function app() {
    const runs = { short: 0, long: 0, errored: 0, aborted: 0, chunked: 0, closed: 0 };
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.use((_req, res, next) => {
        res.set('Cache-Control', 'max-age=60');
        next();
      });
      app.get('/short', cache, (_req, res) => {
        runs.short++;
        // The first run dies half way through its body; the later ones are whole.
        res.set('Content-Length', '20').type('text/plain');
        if (runs.short > 1) res.end('01234567890123456789');
        else {
          res.write('0123456789');
          setTimeout(() => res.end(), 50);
        }
      });
      app.get('/long', cache, (_req, res) => {
        runs.long++;
        res.set('Content-Length', '5').type('text/plain');
        res.end('0123456789');
      });
      app.get('/errored', cache, (_req, res) => {
        runs.errored++;
        const source = new Readable({
          read() {
            this.push('first part, ');
            this.destroy(new Error('the disk went away'));
          },
        });
        res.type('text/plain');
        pipeline(source, res).catch(() => {});
      });
      app.get('/aborted', cache, (_req, res) => {
        runs.aborted++;
        res.type('text/plain');
        res.write('first part, ');
        // The client is gone by now; the application does not notice and ends normally.
        res.once('close', () => {
          res.end('the rest');
          runs.closed++;
        });
      });
      app.get(
        '/aborted-early',
        (_req, res, next) => {
          // Registered before the cache's own listener: ends the response once the client is gone.
          res.once('close', () => res.end('the rest'));
          next();
        },
        cache,
        (_req, res) => {
          runs.aborted++;
          res.once('close', () => runs.closed++);
          res.type('text/plain').write('first part, ');
        },
      );
      app.get('/chunked', cache, (_req, res) => {
        runs.chunked++;
        res.type('text/plain');
        res.write('no ');
        res.write('length, ');
        res.end('ends normally');
      });
    });
    onTestFinished(() => h.close());
    const key = (path: string) => `${h.cache.cache.config.keyPrefix}e:GET:${resourceOf(h.running, path)}`;
    return { ...h, runs, key };
  }

  test('a body shorter than its Content-Length: not stored, not handed to waiting requests', async () => {
    const h = await app();
    const [first, ...followers] = await Promise.all([
      looseGet(`${h.running.url}/short`),
      ...Array.from({ length: 3 }, () => looseGet(`${h.running.url}/short`)),
    ]);
    expect(first!.body.toString()).toBe('0123456789');
    for (const follower of followers) expect(follower.body.toString()).toBe('01234567890123456789');
    await h.cache.settled();
    // The followers went to the origin themselves: none got the broken body as a clean 200.
    expect(h.runs.short).toBe(4);
    expect(await h.client.get(h.key('/short'))).toBeDefined();
    const again = await h.request('/short');
    expect([again.text, again.headers['x-cache']]).toEqual(['01234567890123456789', 'HIT']);
  });

  test('a body longer than its Content-Length is not stored', async () => {
    const h = await app();
    await looseGet(`${h.running.url}/long`);
    await h.cache.settled();
    expect(await h.client.get(h.key('/long'))).toBeUndefined();
  });

  test('a body whose stream errored is not stored', async () => {
    const h = await app();
    await looseGet(`${h.running.url}/errored`);
    await h.cache.settled();
    expect(await h.client.get(h.key('/errored'))).toBeUndefined();
  });

  test('a response whose client went away before its end is not stored', async () => {
    const h = await app();
    await looseGet(`${h.running.url}/aborted`, { abortAfterFirstByte: true });
    await expect.poll(() => h.runs.closed).toBe(1);
    await h.cache.settled();
    expect(await h.client.get(h.key('/aborted'))).toBeUndefined();
  });

  test('a response ended after its client went away, by a listener ahead of the cache, is not stored', async () => {
    const h = await app();
    await looseGet(`${h.running.url}/aborted-early`, { abortAfterFirstByte: true });
    await expect.poll(() => h.runs.closed).toBe(1);
    await h.cache.settled();
    expect(await h.client.get(h.key('/aborted-early'))).toBeUndefined();
  });

  test('a chunked response (no Content-Length) that ends normally is stored', async () => {
    const h = await app();
    await h.request('/chunked');
    const again = await h.after('/chunked');
    expect([again.text, again.headers['x-cache']]).toEqual(['no length, ends normally', 'HIT']);
  });
});
