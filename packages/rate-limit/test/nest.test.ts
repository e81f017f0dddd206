import 'reflect-metadata';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { requestAt, uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemwireThrottlerStorage, type RateLimitOptions } from '../src/index.js';
import { deadServer, harness } from './helpers.js';

const env = harness();
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
    imports: [ThrottlerModule.forRoot({ throttlers: [throttler], storage })],
    controllers: [HelloController],
    providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.add(app);
  await app.listen(0, '127.0.0.1');
  const port = Number(new URL(await app.getUrl()).port);
  return { storage, get: () => requestAt(port, '/') };
}

test('the storage is a ThrottlerStorage', () => {
  const storage: ThrottlerStorage = env.closing(
    new MemwireThrottlerStorage({ env: {}, servers: server.address }),
  );
  expect(typeof storage.increment).toBe('function');
});

describe('under ThrottlerGuard on Express', () => {
  test('limit 3: three requests pass and the fourth is a 429', async () => {
    const { get } = await throttledApp({ ttl: 60_000, limit: 3 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  test('X-RateLimit-Reset counts the seconds to the window end', async () => {
    const { get } = await throttledApp({ ttl: 60_000, limit: 3 });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_800_000_000_000 - 12_300);
    const reply = await get();
    expect(reply.headers['x-ratelimit-limit']).toBe('3');
    expect(reply.headers['x-ratelimit-remaining']).toBe('2');
    expect(reply.headers['x-ratelimit-reset']).toBe('13');
  });

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

describe('memcached down', () => {
  test("by default requests pass and 'failOpen' is emitted", async () => {
    const { get, storage } = await throttledApp({ ttl: 60_000, limit: 1 }, await deadServer());
    const events: string[] = [];
    storage.counter.on('failOpen', (_error, key) => events.push(key));
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    expect(events).toHaveLength(2);
  });

  test("onUnavailable: 'deny' answers 429 and emits 'failClosed'", async () => {
    const { get, storage } = await throttledApp(
      { ttl: 60_000, limit: 5 },
      { ...(await deadServer()), onUnavailable: 'deny' },
    );
    const events: string[] = [];
    storage.counter.on('failClosed', (_error, key) => events.push(key));
    expect((await get()).status).toBe(429);
    expect(events).toHaveLength(1);
  });
});
