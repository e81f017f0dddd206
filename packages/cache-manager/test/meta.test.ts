import { tracingChannel } from 'node:diagnostics_channel';
import type { Client } from '@memwire/core';
import { namespaceKeys } from '@memwire/keyv';
import { createCache } from 'cache-manager5';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type MemcachedServer, type Nutcracker, startNutcracker } from '../../../test/support/index.js';
import { type MemwireStore, memwireStore, TTL_UNKNOWN } from '../src/index.js';
import { harness, slowly } from './helpers.js';

/** memcached 1.6.18 speaks the meta protocol; twemproxy (nutcracker) in front of it does not. */
const env = harness();
let server: MemcachedServer;
let nutcracker: Nutcracker;
let raw: Client;

beforeAll(async () => {
  server = await env.server();
  nutcracker = await startNutcracker({ serverPorts: [server.port] });
  raw = env.client(server);
});
afterAll(async () => {
  await env.cleanup();
  await nutcracker.stop();
});

/** The memcached key of a namespace's `key`, as `@memwire/keyv` names it. */
async function dataKey(namespace: string, key: string): Promise<string> {
  const keys = namespaceKeys(namespace);
  return keys.data(Number(await raw.get(keys.generation)), key);
}

type Trace = { command: string; error?: unknown };

/**
 * The client methods called while `run` runs (the `memwire:command` channel), by name, counted when
 * they start (one still in flight when `run` ends counts too); one refused before anything was sent
 * (a meta command on a classic server) is `<name> refused`.
 */
async function commandsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const started: Trace[] = [];
  const channel = tracingChannel<Trace, Trace>('memwire:command');
  const ignore = () => {};
  const subscriber = {
    start: (trace: Trace) => started.push(trace),
    end: ignore,
    asyncStart: ignore,
    error: ignore,
    asyncEnd: ignore,
  };
  channel.subscribe(subscriber);
  try {
    await run();
  } finally {
    channel.unsubscribe(subscriber);
  }
  return started.map((trace) =>
    (trace.error as { code?: string } | undefined)?.code === 'ERR_MEMWIRE_UNSUPPORTED'
      ? `${trace.command} refused`
      : trace.command,
  );
}

function store(options: Parameters<typeof memwireStore>[0] = {}): MemwireStore {
  return env.track(memwireStore({ env: {}, servers: server.address, ...options }));
}

describe('ttl() of the cache-manager 5 store', () => {
  test('is the milliseconds memcached has left for the key, in whole seconds', async () => {
    const memwire = store({ namespace: 'legacy-ttl' });
    await memwire.set('k', 'v', 60_000);
    const left = await memwire.ttl('k');
    expect(left % 1000).toBe(0);
    expect(left).toBeGreaterThanOrEqual(58_000);
    expect(left).toBeLessThanOrEqual(60_000);
  });

  test('is TTL_UNKNOWN for a key that never expires and for a missing one', async () => {
    const memwire = store({ namespace: 'legacy-ttl-none' });
    await memwire.set('forever', 'v', 0);
    expect(await memwire.ttl('forever')).toBe(TTL_UNKNOWN);
    expect(await memwire.ttl('missing')).toBe(TTL_UNKNOWN);
  });

  test('follows the namespace: after reset() the old entry has no TTL to tell', async () => {
    const memwire = store({ namespace: 'legacy-ttl-reset' });
    await memwire.set('k', 'v', 60_000);
    await memwire.reset();
    expect(await memwire.ttl('k')).toBe(TTL_UNKNOWN);
  });

  test("is TTL_UNKNOWN, sending nothing, under protocol: 'classic' and through twemproxy", async () => {
    const classic = store({ namespace: 'legacy-ttl-classic', protocol: 'classic' });
    await classic.set('k', 'v', 60_000);
    const proxied = env.track(
      memwireStore({ env: {}, servers: nutcracker.address, proxy: 'twemproxy', namespace: 'legacy-ttl-tw' }),
    );
    await proxied.set('k', 'v', 60_000);
    // The first call reads the namespace's generation; after it, nothing at all is sent.
    expect(await classic.ttl('k')).toBe(TTL_UNKNOWN);
    expect(await proxied.ttl('k')).toBe(TTL_UNKNOWN);
    const sent = await commandsDuring(async () => {
      expect(await classic.ttl('k')).toBe(TTL_UNKNOWN);
      expect(await proxied.ttl('k')).toBe(TTL_UNKNOWN);
    });
    expect(sent).toEqual(['ttl refused', 'ttl refused']);
  });

  test("lets cache-manager 5's wrap refresh in the background once under refreshThreshold", async () => {
    const memwire = store({ namespace: 'legacy-refresh' });
    const cache = createCache(memwire, { refreshThreshold: 60_000 });
    await cache.set('k', 'v', 10_000);
    const fn = slowly(() => 'refreshed', 0);
    expect(await cache.wrap('k', fn.run, 10_000)).toBe('v');
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('refreshed'));
    expect(fn.calls).toBe(1);
  });
});

describe('ttl() of createMemwireCache', () => {
  test('is the earlier of the entry’s expiry and memcached’s (another process touched it)', async () => {
    const cache = env.cache(server, { namespace: 'cm7-touched' });
    await cache.set('k', 'v', 600_000);
    await raw.touch(await dataKey('cm7-touched', 'k'), 30);
    const expires = await cache.ttl('k');
    expect(expires).toBeGreaterThan(Date.now() + 28_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  test("under protocol: 'classic', is the entry's own expiry, as cache-manager reads it", async () => {
    const cache = env.cache(server, { namespace: 'cm7-classic', protocol: 'classic' });
    const before = Date.now();
    await cache.set('k', 'v', 600_000);
    await raw.touch(await dataKey('cm7-classic', 'k'), 30);
    expect(await cache.ttl('k')).toBeGreaterThanOrEqual(before + 600_000);
  });

  test("is undefined for another app's item under the key and for an entry that never expires", async () => {
    const cache = env.cache(server, { namespace: 'cm7-foreign' });
    await cache.set('mine', 'v'); // sets the generation
    await raw.set(await dataKey('cm7-foreign', 'theirs'), 'not a Keyv entry', { ttl: 60 });
    expect(await cache.ttl('theirs')).toBeUndefined();
    expect(await cache.ttl('mine')).toBeUndefined();
  });
});

describe('wrap with lock on a meta server: memcached’s lease', () => {
  test('one caller across two clients computes, with getLease and no lock key', async () => {
    const fn = slowly((call) => `value ${call}`, 100);
    const caches = [0, 1].map(() => env.cache(server, { namespace: 'lease-once', lock: true }));
    await caches[0]!.set('other', 'v'); // creates the namespace's generation counter (an `add`)
    let results: unknown[] = [];
    const sent = await commandsDuring(async () => {
      results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => caches[i % 2]!.wrap('k', fn.run, 60_000)),
      );
    });
    expect(fn.calls).toBe(1);
    expect(results).toEqual(Array.from({ length: 10 }, () => 'value 1'));
    expect(sent).toContain('getLease');
    expect(sent).not.toContain('add');
  });

  test("under protocol: 'classic', the add-lock does it: one computation, no getLease", async () => {
    const fn = slowly((call) => `value ${call}`, 100);
    const caches = [0, 1].map(() =>
      env.cache(server, { namespace: 'lease-classic', lock: true, protocol: 'classic' }),
    );
    await caches[0]!.set('other', 'v'); // creates the namespace's generation counter (an `add`)
    const sent = await commandsDuring(() =>
      Promise.all(caches.map((cache) => cache.wrap('k', fn.run, 60_000))),
    );
    expect(fn.calls).toBe(1);
    expect(sent).toContain('add');
    expect(sent).toContain('getLease refused');
    expect(sent).not.toContain('getLease');
  });

  test('through twemproxy, the add-lock does it: one computation', async () => {
    const fn = slowly((call) => `value ${call}`, 100);
    const caches = [0, 1].map(() =>
      env.cache(server, {
        namespace: 'lease-tw',
        lock: true,
        servers: nutcracker.address,
        proxy: 'twemproxy',
      }),
    );
    const results = await Promise.all(caches.map((cache) => cache.wrap('k', fn.run, 60_000)));
    expect(fn.calls).toBe(1);
    expect(results).toEqual(['value 1', 'value 1']);
  });

  test('after an invalidation, one caller recomputes and the others get the stale value meanwhile', async () => {
    const caches = [0, 1, 2].map(() => env.cache(server, { namespace: 'lease-stale', lock: true }));
    await caches[0]!.set('k', 'old', 60_000);
    await raw.invalidate(await dataKey('lease-stale', 'k'));
    const fn = slowly(() => 'new', 100);
    const results = await Promise.all(caches.map((cache) => cache.wrap('k', fn.run, 60_000)));
    expect(fn.calls).toBe(1);
    expect(results.sort()).toEqual(['new', 'old', 'old']);
    expect(await caches[1]!.wrap('k', fn.run, 60_000)).toBe('new');
  });

  test('a winner whose function fails ends its lease: the next caller computes at once', async () => {
    const caches = [0, 1].map(() =>
      env.cache(server, { namespace: 'lease-failed', lock: { ttl: 60_000, wait: 60_000 } }),
    );
    await expect(
      caches[0]!.wrap('k', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // Without the lease ended, this caller would wait out `wait` (a minute) and the test time out.
    expect(await caches[1]!.wrap('k', () => 'second', 60_000)).toBe('second');
  });

  test('a waiter computes itself once `wait` has passed (the winner died holding the lease)', async () => {
    const cache = env.cache(server, { namespace: 'lease-dead', lock: { ttl: 60_000, wait: 300 } });
    await cache.set('other', 'v'); // sets the generation
    const dead = await raw.getLease(await dataKey('lease-dead', 'k'), { ttl: 60 });
    expect(dead.won).toBe(true);
    expect(await cache.wrap('k', () => 'mine', 60_000)).toBe('mine');
    expect(await cache.get('k')).toBe('mine');
  });

  test("another app's item under the key is computed over, not waited on", async () => {
    const cache = env.cache(server, { namespace: 'lease-foreign', lock: { wait: 60_000 } });
    await cache.set('other', 'v'); // sets the generation
    await raw.set(await dataKey('lease-foreign', 'k'), 'not a Keyv entry', { ttl: 60 });
    expect(await cache.wrap('k', () => 'mine', 60_000)).toBe('mine');
    expect(await cache.get('k')).toBe('mine');
  });

  test("while a caller computes under the lease, get() reads a miss, not the server's empty placeholder", async () => {
    const [computing, reading] = [0, 1].map(() =>
      env.cache(server, { namespace: 'lease-placeholder', lock: true }),
    );
    let release: ((value: string) => void) | undefined;
    const wrapped = computing!.wrap('k', () => new Promise<string>((resolve) => (release = resolve)), 60_000);
    await vi.waitFor(() => expect(release).toBeDefined());
    expect(await raw.get(await dataKey('lease-placeholder', 'k'))).toBe('');
    expect(await reading!.get('k')).toBeUndefined();
    release!('v');
    expect(await wrapped).toBe('v');
    expect(await reading!.get('k')).toBe('v');
  });

  test('the memory tier is filled from the value another client stored', async () => {
    const [first, second] = [0, 1].map(() =>
      env.cache(server, { namespace: 'lease-memory', lock: true, memory: true }),
    );
    await first!.wrap('k', () => 'v', 60_000);
    expect(await second!.wrap('k', () => 'not me', 60_000)).toBe('v');
    expect(await second!.stores[0]!.get('k')).toBe('v');
  });
});
