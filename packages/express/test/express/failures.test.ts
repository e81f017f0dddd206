import { createClient, rawCodec } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startFaultProxy, startMemcached } from '../../../../test/support/index.js';
import { responseCache } from '../../src/index.js';
import { cacheClient, frameworks, resourceOf, serve, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: a failing cache never fails a request', (framework) => {
  async function app(address: string, commandTimeout = 300) {
    const client = cacheClient(address, { commandTimeout });
    const cache = responseCache({ client, keyPrefix: uniquePrefix(), commandTimeout });
    const downs: string[] = [];
    client.on('serverDown', ({ server }) => downs.push(server));
    let runs = 0;
    const express = framework.create();
    express.get('/r', cache, (_req, res) => {
      runs++;
      res.set('Cache-Control', 'max-age=60').send(`run ${runs}`);
    });
    express.post('/r', cache, (_req, res) => res.send('posted'));
    const running = await serve(express);
    onTestFinished(async () => {
      await running.close();
      await cache.close();
      await client.close();
    });
    return { client, cache, running, downs, runs: () => runs };
  }

  test('memcached down: every request is answered by the application, reported once', async () => {
    const server = await startMemcached();
    const h = await app(server.address);
    await h.running.request('/r');
    await server.stop();
    for (let i = 0; i < 10; i++) {
      const reply = await h.running.request('/r');
      expect(reply.status).toBe(200);
      expect(reply.text).toBe(`run ${i + 2}`);
      expect((await h.running.request('/r', { method: 'POST' })).text).toBe('posted');
    }
    await h.cache.settled();
    expect(h.downs).toEqual([server.address]);
  });

  test('memcached that never answers adds at most about one commandTimeout', async () => {
    const proxy = await startFaultProxy(memcached.port);
    onTestFinished(() => proxy.close());
    const h = await app(proxy.address, 400);
    proxy.setFault({ kind: 'stall' });
    const started = Date.now();
    const reply = await h.running.request('/r');
    const elapsed = Date.now() - started;
    expect([reply.status, reply.text]).toEqual([200, 'run 1']);
    // One timeout (400 ms), not two or three in a row for lookup, lock and store.
    expect(elapsed).toBeLessThan(750);
    const post = Date.now();
    expect((await h.running.request('/r', { method: 'POST' })).text).toBe('posted');
    expect(Date.now() - post).toBeLessThan(750);
  });

  test('bytes in an entry key that are not an entry are a miss', async () => {
    const h = await app(memcached.address);
    const prefix = h.cache.cache.config.keyPrefix;
    await h.client.set(
      `${prefix}e:GET:${resourceOf(h.running, '/r')}`,
      Buffer.from('garbage written by someone else'),
    );
    expect((await h.running.request('/r')).text).toBe('run 1');
  });

  test('the cache serves again once memcached is back', async () => {
    const server = await startMemcached();
    onTestFinished(() => server.stop());
    const h = await app(server.address);
    const ups: string[] = [];
    h.client.on('serverUp', ({ server: address }) => ups.push(address));
    await server.kill();
    for (let i = 0; i < 3; i++) expect((await h.running.request('/r')).status).toBe(200);
    await server.restart();
    for (let i = 0; i < 100 && ups.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await h.running.request('/r');
    await h.cache.settled();
    expect((await h.running.request('/r')).headers['x-cache']).toBe('HIT');
  });
});

test('a client without hashLongKeys serves long URLs uncached, with one warning', async () => {
  const client = createClient({ servers: memcached.address, env: {}, codec: rawCodec });
  const cache = responseCache({ client, keyPrefix: uniquePrefix() });
  const app = frameworks[0].create();
  app.get('/r', cache, (_req, res) => res.set('Cache-Control', 'max-age=60').send('ok'));
  const running = await serve(app);
  const warnings: string[] = [];
  const onWarning = (warning: Error & { code?: string }) => warnings.push(warning.code ?? '');
  process.on('warning', onWarning);
  onTestFinished(async () => {
    process.off('warning', onWarning);
    await running.close();
    await client.close();
  });
  const long = `/r?${'x'.repeat(300)}`;
  for (let i = 0; i < 3; i++) expect((await running.request(long)).text).toBe('ok');
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings.filter((code) => code === 'MEMWIRE_HTTP_CACHE_KEY')).toHaveLength(1);
});
