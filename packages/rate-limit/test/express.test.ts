import express from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { type Running, serve, uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemwireRateLimitStore, type RateLimitOptions } from '../src/index.js';
import { deadServer, harness } from './helpers.js';

const env = harness();
let server: MemcachedServer;
const running = new Set<Running>();

beforeAll(async () => {
  server = await env.server();
});
afterEach(() => {
  vi.useRealTimers();
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
  const store: Store = new MemwireRateLimitStore({ env: {}, servers: '127.0.0.1:1' });
  expect(store.localKeys).toBe(false);
  expect(store.prefix).toBe('rl:');
});

describe('under express-rate-limit on Express 5', () => {
  test('limit 3: three requests pass and the fourth is a 429', async () => {
    const { as } = await limitedApp(3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await as('alice')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await as('bob')).status).toBe(200);
  });

  test('RateLimit-Reset counts the seconds to the window end, RateLimit-Remaining the hits left', async () => {
    const { as } = await limitedApp(3);
    // Date only: 12.3 s before a minute ends, the window's reset is 13 s away (rounded up).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_000_000 - 12_300);
    const first = await as('carol');
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    expect(first.headers['ratelimit-reset']).toBe('13');
    vi.setSystemTime(1_800_000_000_000 - 2_000);
    expect((await as('carol')).headers['ratelimit-reset']).toBe('2');
  });

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

describe('memcached down', () => {
  test("by default the request passes (fail open) and 'failOpen' is emitted", async () => {
    const dead = await deadServer();
    const { as, store } = await limitedApp(1, dead);
    const events: string[] = [];
    store.on('failOpen', (_error, key) => events.push(key));
    expect((await as('hal')).status).toBe(200);
    expect((await as('hal')).status).toBe(200);
    expect(events).toEqual(['hal', 'hal']);
  });

  test("onUnavailable: 'deny' answers 429 and emits 'failClosed'", async () => {
    const dead = await deadServer();
    const { as, store } = await limitedApp(5, { ...dead, onUnavailable: 'deny' });
    const events: string[] = [];
    store.on('failClosed', (_error, key) => events.push(key));
    const reply = await as('ivy');
    expect(reply.status).toBe(429);
    expect(reply.headers['ratelimit-remaining']).toBe('0');
    expect(events).toEqual(['ivy']);
  });
});
