import 'reflect-metadata';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { requestAt, uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemwireThrottlerStorage, type RateLimitOptions } from '../src/index.js';
import { rateLimitContract } from './contract.js';
import { harness, useSteadyClock } from './helpers.js';

const env = harness();
useSteadyClock();
let server: MemcachedServer;
const apps = new Set<INestApplication>();

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

@Controller()
class HelloController {
  @Get()
  hello(): string {
    return 'hello';
  }
}

/** A Nest app on Express behind ThrottlerGuard, with `throttler` and the memcached storage. */
async function throttledApp(
  throttler: { ttl: number; limit: number; blockDuration?: number },
  options: RateLimitOptions = {},
) {
  const storage = env.closing(
    new MemwireThrottlerStorage({ env: {}, servers: server.address, prefix: uniquePrefix(), ...options }),
  );
  @Module({
    imports: [
      ThrottlerModule.forRoot({
        throttlers: [throttler],
        storage,
        getTracker: (req) => String(req['headers']?.['x-client'] ?? 'nobody'),
      }),
    ],
    controllers: [HelloController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.add(app);
  await app.listen(0, '127.0.0.1');
  const port = Number(new URL(await app.getUrl()).port);
  const as = (client: string) => requestAt(port, '/', { headers: { 'x-client': client } });
  return { storage, as, get: () => as('somebody') };
}

test('the storage is a ThrottlerStorage', () => {
  const storage: ThrottlerStorage = env.closing(
    new MemwireThrottlerStorage({ env: {}, servers: server.address }),
  );
  expect(typeof storage.increment).toBe('function');
});

rateLimitContract('@nestjs/throttler (ThrottlerGuard on Express)', async (limit, options) => {
  const { as, storage } = await throttledApp({ ttl: 60_000, limit }, options);
  return {
    counter: storage.counter,
    async hit(client) {
      const reply = await as(client);
      const header = (name: string) => reply.headers[name] as string | undefined;
      return {
        status: reply.status,
        remaining: header('x-ratelimit-remaining'),
        reset: header('x-ratelimit-reset'),
      };
    },
  };
});

describe('under ThrottlerGuard on Express', () => {
  test('going over blocks for blockDuration (Retry-After), uncounted, then the count starts over', async () => {
    const { get } = await throttledApp({ ttl: 60_000, limit: 1, blockDuration: 5_000 });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_000_000 + 1_000);
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('5');
    vi.setSystemTime(1_800_000_000_000 + 4_000);
    expect((await get()).headers['retry-after']).toBe('2');
    vi.setSystemTime(1_800_000_000_000 + 6_001);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
  });

  test('a block placed by one process is seen by another', async () => {
    const prefix = uniquePrefix();
    const a = env.closing(new MemwireThrottlerStorage({ env: {}, servers: server.address, prefix }));
    const b = env.closing(new MemwireThrottlerStorage({ env: {}, servers: server.address, prefix }));
    await a.increment('k', 60_000, 1, 30_000, 'default');
    expect((await a.increment('k', 60_000, 1, 30_000, 'default')).isBlocked).toBe(true);
    const seen = await b.increment('k', 60_000, 1, 30_000, 'default');
    expect(seen).toMatchObject({ isBlocked: true });
    expect(seen.timeToBlockExpire).toBeGreaterThan(0);
  });
});
