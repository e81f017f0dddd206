import express from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type Running, serve, uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemwireRateLimitStore, type RateLimitOptions } from '../src/index.js';
import { rateLimitContract } from './contract.js';
import { harness, useSteadyClock } from './helpers.js';

const env = harness();
useSteadyClock();
let server: MemcachedServer;
const running = new Set<Running>();

beforeAll(async () => {
  server = await env.server();
});
afterAll(async () => {
  await Promise.all([...running].map((app) => app.close()));
  await env.cleanup();
});

/** An Express 5 app limited to `limit` requests per minute per `x-client` header; `/fail` answers 500. */
async function limitedApp(limit: number, options: RateLimitOptions & { skipFailedRequests?: boolean } = {}) {
  const { skipFailedRequests = false, ...storeOptions } = options;
  const store = new MemwireRateLimitStore({
    env: {},
    servers: server.address,
    prefix: uniquePrefix(),
    ...storeOptions,
  });
  env.closing(store.counter);
  const limiter = rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    skipFailedRequests,
    keyGenerator: (req) => req.get('x-client') ?? 'nobody',
    store,
  });
  const app = express();
  app.use(limiter);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  app.get('/fail', (_req, res) => {
    res.status(500).send('failed');
  });
  const http = await serve(app);
  running.add(http);
  const as = (client: string, path = '/') => http.request(path, { headers: { 'x-client': client } });
  return { limiter, store, as };
}

test('the store is an express-rate-limit Store', () => {
  const memwire = new MemwireRateLimitStore({ env: {}, servers: server.address });
  env.closing(memwire.counter);
  const store: Store = memwire;
  expect(store.localKeys).toBe(false);
  expect(store.prefix).toBe('rl:');
});

rateLimitContract('express-rate-limit on Express 5', async (limit, options) => {
  const { as, store } = await limitedApp(limit, options);
  return {
    counter: store.counter,
    async hit(client) {
      const reply = await as(client);
      const header = (name: string) => reply.headers[name] as string | undefined;
      return {
        status: reply.status,
        remaining: header('ratelimit-remaining'),
        reset: header('ratelimit-reset'),
      };
    },
  };
});

describe('under express-rate-limit on Express 5', () => {
  test('resetKey lets a limited client in again', async () => {
    const { as, limiter } = await limitedApp(1);
    await as('dave');
    expect((await as('dave')).status).toBe(429);
    await limiter.resetKey('dave');
    expect((await as('dave')).status).toBe(200);
  });

  test('getKey reads the count without counting', async () => {
    const { as, limiter } = await limitedApp(5);
    await as('erin');
    await as('erin');
    expect((await limiter.getKey('erin'))?.totalHits).toBe(2);
    expect((await limiter.getKey('erin'))?.totalHits).toBe(2);
    expect(await limiter.getKey('nobody-yet')).toBeUndefined();
  });

  test('skipFailedRequests takes failed requests back (decrement)', async () => {
    const { as, limiter } = await limitedApp(2, { skipFailedRequests: true });
    for (let i = 0; i < 3; i++) expect((await as('frank', '/fail')).status).toBe(500);
    // express-rate-limit decrements once the response has finished: wait for the count to settle.
    await vi.waitFor(async () => expect((await limiter.getKey('frank'))?.totalHits).toBe(0));
    expect((await as('frank')).status).toBe(200);
    expect((await as('frank')).status).toBe(200);
    expect((await as('frank')).status).toBe(429);
  });

  test('a sliding store limits the same way within a window', async () => {
    const { as } = await limitedApp(2, { algorithm: 'sliding' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await as('gina')).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
