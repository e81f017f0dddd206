import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rawRequest } from '../../packages/core/test/client/helpers.js';
import { type MemcachedServer, startMemcached } from '../support/index.js';
import { keysByServer, useClients } from './helpers.js';

/** statsSummary() against three fresh servers, so every counter starts at zero. */
const newClient = useClients();
let servers: MemcachedServer[];

beforeAll(async () => {
  // The third has 2 MB of memory: 40 values of 100 KB do not fit, so it evicts.
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached({ memoryMb: 2 })]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill().then(() => server.stop())));
});

/** `stats` read straight from the server, for comparison. */
async function rawStats(server: MemcachedServer): Promise<Record<string, string>> {
  const reply = await rawRequest(server.port, 'stats\r\n', /END\r\n$/);
  return Object.fromEntries([...reply.matchAll(/^STAT (\S+) (.*)\r$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('statsSummary()', () => {
  test('reports hit ratio, items and evictions per server', async () => {
    const addresses = servers.map((server) => server.address);
    const client = newClient({ servers: addresses, commandTimeout: 5000 });
    const [keys0, keys1, keys2] = keysByServer(addresses, 40, 'summary') as [string[], string[], string[]];

    const before = await client.statsSummary();
    expect([...before.keys()]).toEqual(addresses);
    for (const summary of before.values()) {
      expect(summary).toMatchObject({ hitRatio: undefined, hits: 0, misses: 0, items: 0, evictions: 0 });
    }

    // Server 0: 3 hits, 1 miss. Server 1: 1 hit, 3 misses. getMany counts each key.
    await client.setMany(keys0.slice(0, 3).map((key) => [key, 'v'] as const));
    await client.setMany([[keys1[0]!, 'v']]);
    expect((await client.getMany(keys0.slice(0, 3))).size).toBe(3);
    expect(await client.get(keys0[3]!)).toBeUndefined();
    expect(await client.get(keys1[0]!)).toBe('v');
    expect((await client.getMany(keys1.slice(1, 4))).size).toBe(0);
    // Server 2: 40 values of 100 KB into 2 MB; the last one is still there, the first was evicted.
    const big = 'x'.repeat(100_000);
    for (const key of keys2) expect(await client.set(key, big)).toBe(true);
    expect(await client.get(keys2.at(-1)!)).toBe(big);
    expect(await client.get(keys2[0]!)).toBeUndefined();

    const summary = await client.statsSummary();
    expect(summary.get(addresses[0]!)).toMatchObject({
      hitRatio: 0.75,
      hits: 3,
      misses: 1,
      items: 3,
      evictions: 0,
    });
    expect(summary.get(addresses[1]!)).toMatchObject({
      hitRatio: 0.25,
      hits: 1,
      misses: 3,
      items: 1,
      evictions: 0,
    });
    const evicting = summary.get(addresses[2]!)!;
    expect(evicting).toMatchObject({ hitRatio: 0.5, hits: 1, misses: 1, limitBytes: 2 * 1024 * 1024 });
    expect(evicting.evictions).toBeGreaterThan(0);
    expect(evicting.items).toBeLessThan(keys2.length);
    expect(evicting.evictions + evicting.items).toBe(keys2.length);

    // The same figures the server itself reports.
    for (const server of servers) {
      const raw = await rawStats(server);
      const mine = summary.get(server.address)!;
      expect(mine).toMatchObject({
        evictions: Number(raw['evictions']),
        items: Number(raw['curr_items']),
        bytes: Number(raw['bytes']),
        version: raw['version'],
      });
      expect(mine.connections).toBeGreaterThan(0);
      expect(mine.uptimeSeconds).toBeGreaterThanOrEqual(0);
    }
  });
});
