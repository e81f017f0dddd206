import { compressedCodec, createClient, rawCodec } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  decodeRecord,
  type EntryMeta,
  encodeRecord,
  type VaryPointer,
} from '../../../http-cache/src/store/entry-format.js';
import { responseCache } from '../../src/index.js';
import { cacheClient, frameworks, harness, resourceOf, serve, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

// The checks live in the engine (validate-entry.ts), the same for every framework: one is enough here.
const [framework] = frameworks;

/**
 * An app whose /r is cached; `forge` rewrites what the cache stored for /r, with the core client's
 * raw codec, as anyone who can reach the memcached could. Afterwards the origin says `no-store`, so
 * what is left at the key is what the cache did with the forgery.
 */
async function forgedApp(path = '/r', vary?: string) {
  let runs = 0;
  let storable = true;
  const h = await harness(framework, memcached.address, (app, cache) => {
    app.get(path, cache, (_req, res) => {
      runs++;
      res.set('Cache-Control', storable ? 'max-age=60' : 'no-store');
      if (vary !== undefined) res.set('Vary', vary);
      res.type('text/plain').send(`origin ${runs}`);
    });
  });
  onTestFinished(() => h.close());
  const prefix = h.cache.cache.config.keyPrefix;
  const entryKey = `${prefix}e:GET:${resourceOf(h.running, path)}`;
  await h.request(path);
  await h.cache.settled();
  const stored = decodeRecord(await h.client.get(entryKey));
  if (stored === undefined) throw new Error('nothing stored');
  return {
    ...h,
    entryKey,
    stored,
    runs: () => runs,
    /** From now on the origin's answers are not stored. */
    stopStoring: () => {
      storable = false;
    },
  };
}

type Mutable = Record<string, unknown>;

describe('a forged entry is a miss, is deleted, and never a 5xx, a hang or a crash', () => {
  const shapes: Array<[string, (meta: Mutable) => void]> = [
    ['a status outside 200..599', (meta) => (meta['status'] = 99999)],
    ['a status that is not a number', (meta) => (meta['status'] = '200')],
    ['a 304 stored as if it were a response', (meta) => (meta['status'] = 304)],
    [
      'a header value with CR LF',
      (meta) =>
        (meta['headers'] = [
          ['x-forged', 'yes'],
          ['x-a', 'a\r\nx: b'],
        ]),
    ],
    [
      'a header name that is not a token',
      (meta) =>
        (meta['headers'] = [
          ['x-forged', 'yes'],
          ['bad name', 'v'],
        ]),
    ],
    [
      'a Set-Cookie header',
      (meta) =>
        (meta['headers'] = [
          ['x-forged', 'yes'],
          ['set-cookie', 'session=stolen'],
        ]),
    ],
    ['headers that are not a list', (meta) => (meta['headers'] = { 'x-forged': 'yes' })],
    ['a policy http-cache-semantics cannot read', (meta) => (meta['policy'] = { v: 1, rescc: 'x' })],
    ['a policy with a time that is not a number', (meta) => ((meta['policy'] as Mutable)['t'] = 'now')],
    ['no policy', (meta) => delete meta['policy']],
    ['a length that is not the body', (meta) => (meta['length'] = 3)],
    ['a length beyond maxBodySize', (meta) => (meta['length'] = 2 ** 40)],
    ['tags that are not generations', (meta) => (meta['tags'] = { a: { x: 1 } })],
    ['a vary list that is not a list of names', (meta) => (meta['vary'] = [1, 2])],
  ];

  test.each(shapes)('%s', async (_name, forge) => {
    const h = await forgedApp();
    const meta = structuredClone(h.stored.meta) as unknown as Mutable;
    forge(meta);
    await h.client.set(h.entryKey, encodeRecord(meta as unknown as EntryMeta, h.stored.body));
    h.stopStoring();
    const reply = await h.request('/r');
    expect([reply.status, reply.text, reply.headers['x-cache']]).toEqual([200, 'origin 2', 'MISS']);
    expect(reply.headers['x-forged']).toBeUndefined();
    expect(reply.headers['set-cookie']).toBeUndefined();
    await h.cache.settled();
    await vi.waitFor(async () => expect(await h.client.get(h.entryKey)).toBeUndefined());
  });

  test('a manifest claiming 200,000 chunks asks memcached for no more than maxBodySize allows', async () => {
    const h = await forgedApp();
    const getMany = vi.spyOn(h.client, 'getMany');
    // The real attack claimed 2e8 chunks of a 10-byte body: ~23 s of blocked event loop, then out of memory.
    const meta = {
      ...h.stored.meta,
      length: 10,
      chunks: { nonce: 'AAAAAAAAAAAAAAAA', count: 200_000, size: 1 },
    };
    await h.client.set(h.entryKey, encodeRecord(meta));
    h.stopStoring();
    const reply = await h.request('/r');
    expect([reply.status, reply.text]).toEqual([200, 'origin 2']);
    const largest = Math.max(0, ...getMany.mock.calls.map(([keys]) => [...keys].length));
    expect(largest).toBeLessThanOrEqual(Math.ceil(h.cache.cache.config.maxBodySize / 1024));
    await vi.waitFor(async () => expect(await h.client.get(h.entryKey)).toBeUndefined());
  });

  test('a manifest whose parts add up but are not the sizes it states is a miss', async () => {
    const h = await forgedApp();
    const prefix = h.cache.cache.config.keyPrefix;
    const nonce = 'BBBBBBBBBBBBBBBB';
    const meta = { ...h.stored.meta, length: 2048, chunks: { nonce, count: 2, size: 1024 } };
    await h.client.set(`${prefix}c:${nonce}:0`, Buffer.alloc(2000, 'a'));
    await h.client.set(`${prefix}c:${nonce}:1`, Buffer.alloc(48, 'b'));
    await h.client.set(h.entryKey, encodeRecord(meta));
    h.stopStoring();
    const reply = await h.request('/r');
    expect([reply.status, reply.text]).toEqual([200, 'origin 2']);
    await vi.waitFor(async () => expect(await h.client.get(h.entryKey)).toBeUndefined());
  });

  test.each<[string, Record<string, unknown>]>([
    ['a nonce memcached cannot take in a key', { kind: 'vary', vary: ['accept'], nonce: 'a b\r\nflush_all' }],
    ['fields that are not names', { kind: 'vary', vary: [1], nonce: '42' }],
    ['no fields', { kind: 'vary', vary: [], nonce: '42' }],
  ])('a Vary pointer with %s', async (_name, pointer) => {
    const h = await forgedApp('/v', 'Accept');
    await h.client.set(h.entryKey, encodeRecord(pointer as unknown as VaryPointer));
    h.stopStoring();
    const reply = await h.request('/v');
    expect([reply.status, reply.text, reply.headers['x-cache']]).toEqual([200, 'origin 2', 'MISS']);
    await vi.waitFor(async () => expect(await h.client.get(h.entryKey)).toBeUndefined());
  });

  test('a record whose metadata is larger than any this cache writes is a miss', async () => {
    const h = await forgedApp();
    const meta = { ...h.stored.meta, headers: [['x-forged', 'y'.repeat(200 * 1024)]] as [string, string][] };
    await h.client.set(h.entryKey, encodeRecord(meta, h.stored.body));
    h.stopStoring();
    const reply = await h.request('/r');
    expect([reply.text, reply.headers['x-forged']]).toEqual(['origin 2', undefined]);
  });
});

test('an item that inflates past the reading client’s limit is a miss, and is stored over', async () => {
  // A client that decompresses (the middleware's own uses rawCodec and never does): a small forged
  // item must not cost a huge inflate, nor keep the resource uncached.
  const codec = compressedCodec(rawCodec, { maxInflatedSize: 1024 * 1024 });
  const client = createClient({ servers: memcached.address, env: {}, hashLongKeys: true, codec });
  const prefix = uniquePrefix();
  const cache = responseCache({ client, keyPrefix: prefix });
  let runs = 0;
  const app = framework.create();
  app.get('/z', cache, (_req, res) => res.set('Cache-Control', 'max-age=60').send(`origin ${++runs}`));
  const running = await serve(app);
  const forger = cacheClient(memcached.address);
  const bomb = compressedCodec(rawCodec, { compressThreshold: 0 });
  const forgerBomb = createClient({ servers: memcached.address, env: {}, hashLongKeys: true, codec: bomb });
  onTestFinished(async () => {
    await running.close();
    await cache.close();
    await Promise.all([client.close(), forger.close(), forgerBomb.close()]);
  });
  await forgerBomb.set(`${prefix}e:GET:${resourceOf(running, '/z')}`, Buffer.alloc(32 * 1024 * 1024));
  const first = await running.request('/z');
  expect([first.status, first.text]).toEqual([200, 'origin 1']);
  await cache.settled();
  const second = await running.request('/z');
  expect([second.text, second.headers['x-cache']]).toEqual(['origin 1', 'HIT']);
});

test('an entry larger than this cache stores, written by a cache with a larger maxBodySize, is a miss but is left alone', async () => {
  const h = await harness(framework, memcached.address, (app, cache) => {
    app.get('/r', cache, (_req, res) => res.set('Cache-Control', 'no-store').send('origin'));
  });
  onTestFinished(() => h.close());
  const prefix = h.cache.cache.config.keyPrefix;
  const meta: EntryMeta = {
    kind: 'entry',
    status: 200,
    headers: [['content-type', 'text/plain']],
    policy: {
      v: 1,
      t: Date.now(),
      sh: true,
      ch: 0.1,
      imm: 86_400_000,
      st: 200,
      resh: { 'cache-control': 'max-age=60' },
      rescc: { 'max-age': '60' },
      m: 'GET',
      a: true,
      reqh: null,
      reqcc: {},
    },
    explicit: true,
    noStale: false,
    vary: [],
    length: 20 * 1024 * 1024,
    chunks: { nonce: 'CCCCCCCCCCCCCCCC', count: 20, size: 1024 * 1024 },
  };
  await h.client.set(`${prefix}e:GET:${resourceOf(h.running, '/r')}`, encodeRecord(meta));
  expect((await h.request('/r')).text).toBe('origin');
  await h.cache.settled();
  expect(await h.client.get(`${prefix}e:GET:${resourceOf(h.running, '/r')}`)).toBeDefined();
});
