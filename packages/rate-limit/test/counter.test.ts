import { ErrorCodes, MemwireError } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type MemcachedServer, startFaultProxy } from '../../../test/support/index.js';
import { keyPart, RATE_LIMIT_DEFAULTS, RateLimitCounter, windowKey } from '../src/index.js';
import { deadServer, freshKey, harness, useSteadyClock } from './helpers.js';

const env = harness();
useSteadyClock();
let server: MemcachedServer;

beforeAll(async () => {
  server = await env.server();
});
afterAll(() => env.cleanup());

/** Freezes `Date` (only: sockets and timers keep running) at `ms`. */
function clockAt(ms: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
}

describe('fixed window', () => {
  test('counts hits one by one from 1, with the window end as resetTime', async () => {
    const counter = env.counter(server, { windowMs: 10_000 });
    clockAt(1_800_000_003_000);
    const key = freshKey();
    expect(await counter.increment(key)).toEqual({ totalHits: 1, resetTime: 1_800_000_010_000 });
    expect(await counter.increment(key)).toEqual({ totalHits: 2, resetTime: 1_800_000_010_000 });
    expect(await counter.get(key)).toEqual({ totalHits: 2, resetTime: 1_800_000_010_000 });
  });

  test('a new window starts from 1 again, and its resetTime moves on by one window', async () => {
    const counter = env.counter(server, { windowMs: 10_000 });
    const key = freshKey();
    clockAt(1_800_000_009_999);
    await counter.increment(key);
    await counter.increment(key);
    clockAt(1_800_000_010_000);
    expect(await counter.increment(key)).toEqual({ totalHits: 1, resetTime: 1_800_000_020_000 });
  });

  test('hits sent at once from two clients are all counted (add settles who creates the window)', async () => {
    const a = env.counter(server);
    const b = env.counter(server);
    const key = freshKey();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).increment(key)),
    );
    expect(results.map((hits) => hits.totalHits).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect((await a.get(key))?.totalHits).toBe(200);
  });

  test('the same key under two window lengths is two counters', async () => {
    const counter = env.counter(server);
    const key = freshKey();
    await counter.increment(key, { windowMs: 1000 });
    await counter.increment(key, { windowMs: 1000 });
    expect((await counter.increment(key, { windowMs: 60_000 })).totalHits).toBe(1);
  });

  test('counters of two prefixes never meet', async () => {
    const login = env.counter(server, { prefix: 'login:' });
    const api = env.counter(server, { prefix: 'api:' });
    const key = freshKey();
    await login.increment(key);
    expect((await api.increment(key)).totalHits).toBe(1);
  });
});

describe('sliding window', () => {
  test('adds the previous window weighted by how much of it still overlaps', async () => {
    const counter = env.counter(server, { windowMs: 10_000, algorithm: 'sliding' });
    const key = freshKey();
    clockAt(1_800_000_005_000);
    for (let i = 0; i < 8; i++) await counter.increment(key);
    // 2.5 s into the next window: 75 % of the previous one still overlaps the last 10 s: 8 × 0.75 = 6.
    clockAt(1_800_000_012_500);
    expect(await counter.increment(key)).toEqual({ totalHits: 7, resetTime: 1_800_000_020_000 });
    expect(await counter.get(key)).toEqual({ totalHits: 7, resetTime: 1_800_000_020_000 });
    // Two windows on, nothing of the first is left.
    clockAt(1_800_000_020_000);
    expect((await counter.increment(key)).totalHits).toBe(2);
  });

  test('reset forgets the previous window too', async () => {
    const counter = env.counter(server, { windowMs: 10_000, algorithm: 'sliding' });
    const key = freshKey();
    clockAt(1_800_000_005_000);
    await counter.increment(key);
    await counter.increment(key);
    clockAt(1_800_000_011_000);
    await counter.reset(key);
    expect(await counter.get(key)).toBeUndefined();
    expect((await counter.increment(key)).totalHits).toBe(1);
  });
});

describe('decrement, reset and get', () => {
  test('decrement takes one hit back and stops at 0', async () => {
    const counter = env.counter(server);
    const key = freshKey();
    await counter.increment(key);
    await counter.increment(key);
    await counter.decrement(key);
    expect((await counter.get(key))?.totalHits).toBe(1);
    await counter.decrement(key);
    await counter.decrement(key);
    expect((await counter.get(key))?.totalHits).toBe(0);
    expect((await counter.increment(key)).totalHits).toBe(1);
  });

  test('decrement of a key without hits does nothing', async () => {
    const counter = env.counter(server);
    const key = freshKey();
    await counter.decrement(key);
    expect(await counter.get(key)).toBeUndefined();
  });

  test('reset starts the key over', async () => {
    const counter = env.counter(server);
    const key = freshKey();
    await counter.increment(key);
    await counter.increment(key);
    await counter.reset(key);
    expect(await counter.get(key)).toBeUndefined();
    expect((await counter.increment(key)).totalHits).toBe(1);
  });
});

describe('what memcached holds', () => {
  test('a value that is not a counter under the key becomes a fresh window', async () => {
    const client = env.client(server);
    const counter = env.counter(server, { client, windowMs: 60_000 });
    const key = freshKey();
    const wire = windowKey(keyPart(RATE_LIMIT_DEFAULTS.prefix, key), 60_000, Math.floor(Date.now() / 60_000));
    await client.set(wire, 'not a number', { ttl: 60 });
    expect(await counter.get(key)).toBeUndefined(); // read as no hits yet
    expect((await counter.increment(key)).totalHits).toBe(1);
    expect((await counter.increment(key)).totalHits).toBe(2);
  });

  test('hits racing on a value that is not a counter are all counted', async () => {
    const client = env.client(server);
    const counter = env.counter(server, { client, windowMs: 60_000 });
    const key = freshKey();
    const wire = windowKey(keyPart(RATE_LIMIT_DEFAULTS.prefix, key), 60_000, Math.floor(Date.now() / 60_000));
    await client.set(wire, '{"forged":true}', { ttl: 60 });
    await Promise.all(Array.from({ length: 50 }, () => counter.increment(key)));
    expect((await counter.get(key))?.totalHits).toBe(50);
  });
});

describe('keys from the request', () => {
  // What a client can put in X-Forwarded-For, a user name or a route.
  const hostile = [
    ['a space', '1.2.3.4 5.6.7.8'],
    ['a command after CRLF', 'x\r\nflush_all'],
    ['a NUL', 'a\u0000b'],
    ['2 KB', 'x'.repeat(2048)],
    ['an empty string', ''],
    ['non-ASCII whitespace', 'a\u2028b'],
    ['a lone surrogate', 'a\uD800b'],
  ];

  test.each(hostile)(
    'a key with %s is counted, and nothing else in memcached changes',
    async (_name, key) => {
      const client = env.client(server);
      const counter = env.counter(server, { client, prefix: freshKey('p') + ':' });
      await client.set('canary', 'still here');
      expect((await counter.increment(key)).totalHits).toBe(1);
      expect((await counter.increment(key)).totalHits).toBe(2);
      expect(await client.get('canary')).toBe('still here');
    },
  );

  test('a key that spells another key’s hashed form is a different counter', async () => {
    const counter = env.counter(server, { prefix: freshKey('p') + ':' });
    const odd = 'has space';
    const spelled = keyPart('', odd);
    expect(spelled.startsWith('sha256:')).toBe(true);
    await counter.increment(odd);
    await counter.increment(odd);
    expect((await counter.increment(spelled)).totalHits).toBe(1);
  });

  test('no key a client picks reaches a scoped (per-route) counter', async () => {
    const counter = env.counter(server, { prefix: freshKey('p') + ':' });
    await counter.increment('victim', { scope: 'GET /login' });
    await counter.increment('victim', { scope: 'GET /login' });
    for (const forged of ['GET /login victim', 'GET /loginvictim', 's["GET /login","victim"]', 'victim']) {
      expect((await counter.increment(forged)).totalHits).toBe(1);
    }
    expect((await counter.increment('victim', { scope: 'GET /login' })).totalHits).toBe(3);
  });

  test('safe short keys stay readable on the wire', () => {
    expect(keyPart('rl:', '203.0.113.7')).toBe('rl:203.0.113.7');
    expect(keyPart('rl:', 'x'.repeat(300))).toMatch(/^rl:sha256:[A-Za-z0-9_-]{43}$/);
  });
});

describe('memcached down', () => {
  test("by default ('allow') a hit counts as the first of its window, with a 'failOpen' event", async () => {
    const dead = await deadServer();
    const counter = env.counter(dead.servers, dead);
    const events: [unknown, string][] = [];
    counter.on('failOpen', (error, key) => events.push([error, key]));
    const hits = await counter.increment('k', { limit: 5 });
    expect(hits.totalHits).toBe(1);
    expect(hits.unavailable?.code).toBe(ErrorCodes.CONNECTION);
    expect(events).toEqual([[hits.unavailable, 'k']]);
  });

  test("'deny' answers over the limit, with a 'failClosed' event", async () => {
    const dead = await deadServer();
    const counter = env.counter(dead.servers, { ...dead, onUnavailable: 'deny' });
    const events: string[] = [];
    counter.on('failClosed', (_error, key) => events.push(key));
    counter.on('failOpen', () => events.push('open'));
    expect((await counter.increment('k', { limit: 5 })).totalHits).toBe(6);
    expect((await counter.increment('k')).totalHits).toBe(Number.MAX_SAFE_INTEGER);
    expect(events).toEqual(['k', 'k']);
  });

  test('a memcached that stops answering: hits are answered by onUnavailable, and counting resumes when it answers', async () => {
    const proxy = await startFaultProxy(server.port);
    try {
      const counter = env.counter(proxy.address, { commandTimeout: 200, retryDelay: 50, maxRetryDelay: 100 });
      const opened: string[] = [];
      counter.on('failOpen', (error) => opened.push(error.code));
      const key = freshKey();
      expect((await counter.increment(key)).totalHits).toBe(1);
      proxy.setFault({ kind: 'stall' });
      const stalled = await counter.increment(key);
      expect(stalled).toMatchObject({ totalHits: 1, unavailable: { code: ErrorCodes.TIMEOUT } });
      proxy.setFault({ kind: 'pass' });
      // The client reconnects in the background; until then hits are still answered without a count.
      await vi.waitFor(async () => expect((await counter.increment(key)).unavailable).toBeUndefined(), {
        timeout: 10_000,
        interval: 50,
      });
      expect(opened[0]).toBe(ErrorCodes.TIMEOUT);
      // Counted: the hit before the stall and the one that got through (a stalled incr may land late).
      expect((await counter.get(key))?.totalHits).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.close();
    }
  });

  test('get, decrement and reset reject with the typed error', async () => {
    const dead = await deadServer();
    const counter = env.counter(dead.servers, dead);
    await expect(counter.get('k')).rejects.toMatchObject({ code: ErrorCodes.CONNECTION });
    await expect(counter.decrement('k')).rejects.toBeInstanceOf(MemwireError);
    await expect(counter.reset('k')).rejects.toBeInstanceOf(MemwireError);
  });
});

describe('options', () => {
  test('bad options are typed errors at construction', () => {
    const make = (options: object) => () => new RateLimitCounter({ env: {}, ...options });
    expect(make({ windowMs: 0 })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(make({ windowMs: 1.5 })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(make({ algorithm: 'leaky' })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG }));
    expect(make({ onUnavailable: 'maybe' })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG }));
    expect(make({ prefix: 'has space' })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG }));
  });

  test('close() leaves a client passed in open', async () => {
    const client = env.client(server);
    const counter = new RateLimitCounter({ client });
    await counter.close();
    expect(await client.set(freshKey(), '1')).toBe(true);
  });
});
