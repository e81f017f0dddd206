import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { responseCache } from '../../src/index.js';
import { cacheClient, frameworks, resourceOf, serve, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: the cross-process lock', (framework) => {
  test('a holder whose lock expired does not release the lock the next holder took', async () => {
    const prefix = uniquePrefix();
    const gates: Array<() => void> = [];
    // Two "processes": separate clients and caches sharing one memcached and one key prefix.
    const instances = await Promise.all(
      [0, 1].map(async () => {
        const client = cacheClient(memcached.address);
        const cache = responseCache({ client, keyPrefix: prefix, lockTtl: 1 });
        const app: Express = framework.create();
        app.get('/r', cache, (_req, res) => {
          const run = gates.length + 1;
          gates.push(() => res.set('Cache-Control', 'no-store').send(`run ${run}`));
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
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    // Behind one load balancer: both processes see the same public host, so they share one key.
    const lockKey = `${prefix}l:http://shop.test|/r`;
    const first = a.running.request('/r', { headers: { host: 'shop.test' } });
    await expect.poll(() => gates.length).toBe(1);
    // A is still at the origin when its lock expires (memcached counts whole seconds).
    await expect.poll(() => a.client.get(lockKey), { timeout: 5000, interval: 100 }).toBeUndefined();
    const second = b.running.request('/r', { headers: { host: 'shop.test' } });
    await expect.poll(() => gates.length).toBe(2);
    const taken = await a.client.get(lockKey);
    expect(taken).toBeDefined();
    gates[0]!();
    expect((await first).text).toBe('run 1');
    await a.cache.settled();
    expect(await a.client.get(lockKey)).toEqual(taken);
    gates[1]!();
    expect((await second).text).toBe('run 2');
    await b.cache.settled();
    expect(await a.client.get(lockKey)).toBeUndefined();
  });

  test('the lock holds a random token, never the process id', async () => {
    const prefix = uniquePrefix();
    const client = cacheClient(memcached.address);
    const cache = responseCache({ client, keyPrefix: prefix });
    let release!: () => void;
    const app: Express = framework.create();
    app.get('/r', cache, (_req, res) => {
      release = () => res.set('Cache-Control', 'max-age=60').send('ok');
    });
    const running = await serve(app);
    onTestFinished(async () => {
      await running.close();
      await cache.close();
      await client.close();
    });
    const reply = running.request('/r');
    await expect.poll(() => release).toBeDefined();
    const token = String(await client.get(`${prefix}l:${resourceOf(running, '/r')}`));
    expect(token).not.toBe(String(process.pid));
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    release();
    await reply;
  });
});
