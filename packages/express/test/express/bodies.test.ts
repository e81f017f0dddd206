import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import compression from 'compression';
import express from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { decodeRecord } from '../../../http-cache/src/store/entry-format.js';
import type { ResponseCacheOptions } from '../../src/index.js';
import { frameworks, harness, resourceOf } from '../helpers.js';

let memcached: MemcachedServer;
let dir: string;
beforeAll(async () => {
  memcached = await startMemcached();
  dir = await mkdtemp(join(tmpdir(), 'memwire-express-'));
});
afterAll(async () => {
  await memcached.stop();
  await rm(dir, { recursive: true, force: true });
});

const binary = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
const text = 'héllo wörld ✓\r\n'.repeat(200);

describe.each(frameworks)('$name: bodies are stored byte for byte', (framework) => {
  async function bodies(options: ResponseCacheOptions = {}, front?: 'compression') {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        if (front === 'compression') app.use(compression({ threshold: 0 }));
        app.use((_req, res, next) => {
          res.set('Cache-Control', 'max-age=60');
          next();
        });
        app.get('/send-text', cache, (_req, res) => res.type('text/plain').send(text));
        app.get('/json', cache, (_req, res) => res.json({ text, list: [1, 2, 3] }));
        app.get('/binary', cache, (_req, res) => res.type('application/octet-stream').send(binary));
        app.get('/write', cache, (_req, res) => {
          res.type('text/plain');
          res.write('part one, ');
          res.write(Buffer.from('part two, '));
          res.write('cafÉ', 'latin1');
          res.end(' and the end');
        });
        app.get('/pipe', cache, (_req, res) => {
          res.type('application/octet-stream');
          Readable.from([binary.subarray(0, 100), binary.subarray(100, 700), binary.subarray(700)]).pipe(res);
        });
        app.get('/file', cache, (_req, res) => res.sendFile(join(dir, 'file.bin')));
        app.get('/big', cache, (_req, res) => res.type('application/octet-stream').send(big));
      },
      options,
    );
    onTestFinished(() => h.close());
    return Object.assign(h, { big });
  }

  test.each([
    ['/send-text', Buffer.from(text)],
    ['/binary', binary],
    [
      '/write',
      Buffer.concat([
        Buffer.from('part one, part two, '),
        Buffer.from('cafÉ', 'latin1'),
        Buffer.from(' and the end'),
      ]),
    ],
    ['/pipe', binary],
  ])('%s', async (path, expected) => {
    const h = await bodies();
    const first = await h.request(path);
    const second = await h.after(path);
    expect(first.body.equals(expected)).toBe(true);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body.equals(expected)).toBe(true);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
  });

  test('/json', async () => {
    const h = await bodies();
    const first = await h.request('/json');
    const second = await h.after('/json');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(JSON.parse(second.text)).toEqual({ text, list: [1, 2, 3] });
    expect(second.body.equals(first.body)).toBe(true);
  });

  test('a file sent by sendFile', async () => {
    await writeFile(join(dir, 'file.bin'), binary);
    const h = await bodies();
    const first = await h.request('/file');
    const second = await h.after('/file');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body.equals(binary)).toBe(true);
    expect(second.headers['last-modified']).toBe(first.headers['last-modified']);
  });

  test('with compression in front: the identity body is stored and compressed on the way out', async () => {
    const h = await bodies({}, 'compression');
    const gzip = { headers: { 'accept-encoding': 'gzip' } };
    const first = await h.request('/send-text', gzip);
    expect(first.headers['content-encoding']).toBe('gzip');
    const hit = await h.after('/send-text', gzip);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['content-encoding']).toBe('gzip');
    expect(hit.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(hit.body).toString()).toBe(text);
    const identity = await h.after('/send-text', { headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers['x-cache']).toBe('HIT');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.text).toBe(text);
  });

  test('with compression behind it: the compressed body is a variant by Accept-Encoding', async () => {
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/t', cache, compression({ threshold: 0 }), (_req, res) =>
        res.set('Cache-Control', 'max-age=60').send(text),
      );
    });
    onTestFinished(() => h.close());
    const gzip = { headers: { 'accept-encoding': 'gzip' } };
    await h.request('/t', gzip);
    const hit = await h.after('/t', gzip);
    expect([hit.headers['x-cache'], hit.headers['content-encoding']]).toEqual(['HIT', 'gzip']);
    expect(gunzipSync(hit.body).toString()).toBe(text);
    const identity = await h.after('/t', { headers: { 'accept-encoding': 'identity' } });
    expect([identity.headers['x-cache'], identity.text]).toEqual(['MISS', text]);
  });

  test('a body larger than an item is split, with the manifest written last', async () => {
    const h = await bodies();
    const first = await h.request('/big');
    expect(first.body.equals(h.big)).toBe(true);
    const second = await h.after('/big');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body.equals(h.big)).toBe(true);
    const manifest = decodeRecord(
      await h.client.get(`${h.cache.cache.config.keyPrefix}e:GET:${resourceOf(h.running, '/big')}`),
    );
    expect(manifest?.meta.kind === 'entry' && manifest.meta.chunks?.count).toBe(4);
  });

  test('a split body with a part gone is a miss, never a partial body', async () => {
    const h = await bodies();
    await h.request('/big');
    await h.cache.settled();
    const manifest = decodeRecord(
      await h.client.get(`${h.cache.cache.config.keyPrefix}e:GET:${resourceOf(h.running, '/big')}`),
    );
    if (manifest?.meta.kind !== 'entry' || manifest.meta.chunks === undefined) throw new Error('no manifest');
    await h.client.delete(`${h.cache.cache.config.keyPrefix}c:${manifest.meta.chunks.nonce}:2`);
    const reply = await h.request('/big');
    expect(reply.headers['x-cache']).toBe('MISS');
    expect(reply.body.equals(h.big)).toBe(true);
  });

  test("largeBodies: 'skip' does not store what does not fit in one item", async () => {
    const h = await bodies({ largeBodies: 'skip' });
    await h.request('/big');
    expect((await h.after('/big')).headers['x-cache']).toBe('MISS');
    expect((await h.after('/binary')).headers['x-cache']).toBe('MISS');
    expect((await h.after('/binary')).headers['x-cache']).toBe('HIT');
  });

  test('a body over maxBodySize goes out whole and is not stored', async () => {
    const h = await bodies({ maxBodySize: 1024 * 1024 });
    const first = await h.request('/big');
    expect(first.body.equals(h.big)).toBe(true);
    expect((await h.after('/big')).headers['x-cache']).toBe('MISS');
  });
});

test('express.static behind the cache is stored and served', async () => {
  await writeFile(join(dir, 'static.txt'), text);
  const h = await harness(frameworks[0], memcached.address, (app, cache) => {
    app.use('/static', cache, express.static(dir, { maxAge: 60_000 }));
  });
  onTestFinished(() => h.close());
  await h.request('/static/static.txt');
  const hit = await h.after('/static/static.txt');
  expect([hit.headers['x-cache'], hit.text]).toEqual(['HIT', text]);
});
