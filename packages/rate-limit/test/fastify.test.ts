import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { fastifyRateLimitStore, RateLimitCounter, type RateLimitOptions } from '../src/index.js';
import { deadServer, harness } from './helpers.js';

const env = harness();
let server: MemcachedServer;
const apps = new Set<FastifyInstance>();

beforeAll(async () => {
  server = await env.server();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await Promise.all([...apps].map((app) => app.close()));
  await env.cleanup();
});

/** A Fastify 5 app limited to `max` per minute per `x-client`; `/login` has its own limit of 1. */
async function limitedApp(max: number, options: RateLimitOptions = {}) {
  const counter = env.closing(
    new RateLimitCounter({ env: {}, servers: server.address, prefix: uniquePrefix(), ...options }),
  );
  const app = Fastify();
  apps.add(app);
  await app.register(rateLimit, {
    max,
    timeWindow: 60_000,
    keyGenerator: (request) => String(request.headers['x-client'] ?? 'nobody'),
    store: fastifyRateLimitStore(counter),
  });
  app.get('/', async () => 'ok');
  app.get('/login', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => 'welcome');
  await app.ready();
  const as = (client: string, url = '/') => app.inject({ url, headers: { 'x-client': client } });
  return { app, counter, as };
}

describe('under @fastify/rate-limit on Fastify 5', () => {
  test('max 3: three requests pass and the fourth is a 429', async () => {
    const { as } = await limitedApp(3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await as('alice')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await as('bob')).statusCode).toBe(200);
  });

  test('x-ratelimit-reset counts the seconds to the window end', async () => {
    const { as } = await limitedApp(3);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_000_000 - 12_300);
    const reply = await as('carol');
    expect(reply.headers['x-ratelimit-limit']).toBe('3');
    expect(reply.headers['x-ratelimit-remaining']).toBe('2');
    expect(reply.headers['x-ratelimit-reset']).toBe('13');
  });

  test('a route with its own limit counts apart from the global one', async () => {
    const { as } = await limitedApp(3);
    await as('dave');
    await as('dave');
    expect((await as('dave', '/login')).statusCode).toBe(200);
    expect((await as('dave', '/login')).statusCode).toBe(429);
    expect((await as('dave')).statusCode).toBe(200);
  });
});

describe('memcached down', () => {
  test("by default the request passes and 'failOpen' is emitted", async () => {
    const dead = await deadServer();
    const { as, counter } = await limitedApp(1, dead);
    const events: string[] = [];
    counter.on('failOpen', (_error, key) => events.push(key));
    expect((await as('erin')).statusCode).toBe(200);
    expect((await as('erin')).statusCode).toBe(200);
    expect(events).toEqual(['erin', 'erin']);
  });

  test("onUnavailable: 'deny' answers 429 and emits 'failClosed'", async () => {
    const dead = await deadServer();
    const { as, counter } = await limitedApp(5, { ...dead, onUnavailable: 'deny' });
    const events: string[] = [];
    counter.on('failClosed', (_error, key) => events.push(key));
    expect((await as('frank')).statusCode).toBe(429);
    expect(events).toEqual(['frank']);
  });
});
