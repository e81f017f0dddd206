import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, createClient, rawCodec } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { HttpCache, type HttpCacheOptions } from '../../src/index.js';
import type { CacheStatus, OriginHead } from '../../src/types.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

let prefixes = 0;
const PROTOCOLS = [
  { name: 'meta server, protocol auto', protocol: 'auto' },
  { name: 'meta server, protocol classic', protocol: 'classic' },
] as const;

type Protocol = (typeof PROTOCOLS)[number]['protocol'];

/**
 * `count` caches sharing one memcached and one key prefix, each with its own client: separate
 * processes behind one load balancer. Closed when the test ends.
 */
function processes(count: number, protocol: Protocol | readonly Protocol[], options: HttpCacheOptions = {}) {
  const keyPrefix = `xp${process.pid}-${++prefixes}:`;
  const list = Array.from({ length: count }, (_, i) => {
    const client: Client<string | Uint8Array, Buffer> = createClient({
      servers: memcached.address,
      env: {},
      hashLongKeys: true,
      codec: rawCodec,
      protocol: typeof protocol === 'string' ? protocol : protocol[i % protocol.length]!,
    });
    return { client, cache: new HttpCache(client, { keyPrefix, ...options }) };
  });
  onTestFinished(async () => {
    for (const { cache, client } of list) {
      await cache.settled();
      await client.close();
    }
  });
  return { list, lockKey: (path: string) => `${keyPrefix}l:http://shop.test|${path}` };
}

const HEAD: OriginHead = { status: 200, headers: { 'cache-control': 'max-age=60' } };

/** What one request got: its cache status and body, and whether it ran the origin. */
interface Answer {
  status: CacheStatus;
  body: string;
  ranOrigin: boolean;
}

/**
 * One GET through `cache` as an adapter runs it; `origin` answers a miss (its head, its body, or
 * undefined: the response never completed). The body is sent, then stored, as adapters do.
 */
async function get(
  cache: HttpCache,
  path: string,
  origin: () => Promise<{ head: OriginHead; body: string } | undefined>,
): Promise<Answer> {
  const exchange = await cache.begin({
    method: 'GET',
    url: path,
    headers: { host: 'shop.test' },
    scheme: 'http',
  });
  if (exchange.kind === 'serve') {
    return { status: exchange.cacheStatus, body: String(exchange.response.body), ranOrigin: false };
  }
  const answer = await origin();
  if (exchange.kind === 'fetch') {
    if (answer !== undefined) exchange.onHead(answer.head);
    exchange.finish(answer && { ...answer.head, body: Buffer.from(answer.body) });
  }
  return { status: exchange.cacheStatus, body: answer?.body ?? '', ranOrigin: true };
}

describe.each(PROTOCOLS)('the cross-process lock ($name)', ({ protocol }) => {
  test('concurrent requests for one cold URL across two processes run the origin once', async () => {
    const { list } = processes(2, protocol);
    let runs = 0;
    const origin = async () => {
      runs++;
      await sleep(100);
      return { head: HEAD, body: `run ${runs}` };
    };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(list[i % 2]!.cache, '/cold', origin)),
    );
    expect(runs).toBe(1);
    expect(new Set(answers.map((answer) => answer.body))).toEqual(new Set(['run 1']));
    expect(answers.filter((answer) => answer.status === 'MISS')).toHaveLength(1);
  });

  test('an origin that fails frees the lock: the waiting process goes to the origin without waiting lockWait', async () => {
    const { list, lockKey } = processes(2, protocol, { lockWait: 10_000 });
    const [a, b] = list as [(typeof list)[0], (typeof list)[0]];
    let failNow!: () => void;
    const failing = get(a.cache, '/flaky', async () => {
      await new Promise<void>((resolve) => {
        failNow = resolve;
      });
      return { head: { status: 500, headers: {} }, body: 'failed' };
    });
    await expect.poll(() => failNow).toBeDefined();
    expect(await a.client.get(lockKey('/flaky'))).toBeDefined();
    const started = performance.now();
    const waiting = get(b.cache, '/flaky', async () => ({ head: HEAD, body: 'recovered' }));
    // B finds the lock taken and waits for A's response…
    await sleep(200);
    failNow();
    expect((await failing).body).toBe('failed');
    // …which is not stored (a 500), so A frees the lock and B runs the origin itself.
    const answer = await waiting;
    expect(answer).toEqual({ status: 'MISS', body: 'recovered', ranOrigin: true });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test('a holder that crashed delays the others until its lock expires (lockTtl), not lockWait', async () => {
    const { list, lockKey } = processes(2, protocol, { lockTtl: 2, lockWait: 15_000 });
    const [a, b] = list as [(typeof list)[0], (typeof list)[0]];
    // A takes the lock and dies at the origin: no response, no release, its connections gone.
    const exchange = await a.cache.begin({
      method: 'GET',
      url: '/crash',
      headers: { host: 'shop.test' },
      scheme: 'http',
    });
    expect(exchange.kind).toBe('fetch');
    await a.client.close();
    expect(await b.client.get(lockKey('/crash'))).toBeDefined();
    const started = performance.now();
    const answer = await get(b.cache, '/crash', async () => ({ head: HEAD, body: 'after the crash' }));
    const waited = performance.now() - started;
    expect(answer).toEqual({ status: 'MISS', body: 'after the crash', ranOrigin: true });
    // memcached counts whole seconds: a 2 s item lives between 1 and 2 s.
    expect(waited).toBeGreaterThan(500);
    expect(waited).toBeLessThan(5_000);
  });
});

describe('the cross-process lock on a mixed fleet', () => {
  test('a process on the meta protocol and one on the classic protocol share one lock', async () => {
    const { list } = processes(2, ['auto', 'classic']);
    let runs = 0;
    const origin = async () => {
      runs++;
      await sleep(100);
      return { head: HEAD, body: `run ${runs}` };
    };
    // Either may win: each protocol's lock must stop the other.
    for (const path of ['/mixed-1', '/mixed-2', '/mixed-3']) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => get(list[i % 2]!.cache, path, origin)),
      );
      expect(new Set(answers.map((answer) => answer.body))).toEqual(new Set([`run ${runs}`]));
    }
    expect(runs).toBe(3);
  });
});
