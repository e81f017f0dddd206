import { afterEach, describe, expect, test, vi } from 'vitest';
import type { RateLimitCounter, RateLimitOptions } from '../src/index.js';
import { deadServer } from './helpers.js';

/** What every framework's store must do, seen from HTTP. */
export interface LimitedApp {
  /** One request as `client` (the key the limiter counts): its status and rate-limit headers. */
  hit(client: string): Promise<{ status: number; remaining: string | undefined; reset: string | undefined }>;
  /** The counter under the store, for its events. */
  counter: RateLimitCounter;
}

/**
 * An app limited to `limit` requests per 60 s window per client, its store built with `options`
 * (and a prefix of its own), on the file's memcached unless `options.servers` says otherwise.
 */
export type MakeApp = (limit: number, options?: RateLimitOptions) => Promise<LimitedApp>;

/** The behaviour every store shares, one suite run for Express, Fastify and Nest (keyv's test-suite model). */
export function rateLimitContract(framework: string, make: MakeApp): void {
  describe(`the rate-limit contract under ${framework}`, () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    test('limit 3: three requests pass and the fourth is a 429; another client is counted apart', async () => {
      const app = await make(3);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await app.hit('alice')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await app.hit('bob')).status).toBe(200);
    });

    test('the reset header counts the seconds to the window end, the remaining header the hits left', async () => {
      const app = await make(3);
      // Date only (sockets and timers run): 12.3 s before a window ends, its reset is 13 s away, rounded up.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_800_000_000_000 - 12_300);
      expect(await app.hit('carol')).toEqual({ status: 200, remaining: '2', reset: '13' });
      vi.setSystemTime(1_800_000_000_000 - 2_000);
      expect(await app.hit('carol')).toEqual({ status: 200, remaining: '1', reset: '2' });
    });

    test("memcached down, by default: requests pass (fail open), each with a 'failOpen' event", async () => {
      const app = await make(1, await deadServer());
      const events: string[] = [];
      app.counter.on('failOpen', (error) => events.push(error.code));
      app.counter.on('failClosed', () => events.push('closed'));
      expect((await app.hit('dave')).status).toBe(200);
      expect((await app.hit('dave')).status).toBe(200);
      expect(events).toEqual(['ERR_MEMWIRE_CONNECTION', 'ERR_MEMWIRE_CONNECTION']);
    });

    test("memcached down, onUnavailable: 'deny': a 429 (fail closed), with a 'failClosed' event", async () => {
      const app = await make(5, { ...(await deadServer()), onUnavailable: 'deny' });
      const events: string[] = [];
      app.counter.on('failClosed', (error) => events.push(error.code));
      app.counter.on('failOpen', () => events.push('open'));
      const reply = await app.hit('erin');
      expect(reply.status).toBe(429);
      expect(events).toEqual(['ERR_MEMWIRE_CONNECTION']);
    });
  });
}
