import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { fastifyRateLimitStore, RateLimitCounter, type RateLimitOptions } from '../src/index.js';
import { rateLimitContract } from './contract.js';
import { harness, useSteadyClock } from './helpers.js';

const env = harness();
useSteadyClock();
let server: MemcachedServer;
const apps = new Set<FastifyInstance>();

beforeAll(async () => {
  server = await env.server();
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

rateLimitContract('@fastify/rate-limit on Fastify 5', async (limit, options) => {
  const { as, counter } = await limitedApp(limit, options);
  return {
    counter,
    async hit(client) {
      const reply = await as(client);
      const header = (name: string) => reply.headers[name] as string | undefined;
      return {
        status: reply.statusCode,
        remaining: header('x-ratelimit-remaining'),
        reset: header('x-ratelimit-reset'),
      };
    },
  };
});

describe('under @fastify/rate-limit on Fastify 5', () => {
  test('a route with its own limit counts apart from the global one', async () => {
    const { as } = await limitedApp(3);
    await as('dave');
    await as('dave');
    expect((await as('dave', '/login')).statusCode).toBe(200);
    expect((await as('dave', '/login')).statusCode).toBe(429);
    expect((await as('dave')).statusCode).toBe(200);
  });
});
