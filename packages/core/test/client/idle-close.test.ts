import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { useClients } from './helpers.js';

/** One `stats` over a connection of its own (so it is never the idle one), as a map. */
function stats(port: number): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (!text.endsWith('END\r\n')) return;
      socket.end();
      resolve(
        new Map(
          text
            .split('\r\n')
            .flatMap((line) =>
              line.startsWith('STAT ') ? [line.slice(5).split(' ') as [string, string]] : [],
            ),
        ),
      );
    });
    socket.on('error', reject);
    socket.write('stats\r\n');
  });
}

const newClient = useClients();
let memcached: MemcachedServer;
beforeAll(async () => {
  // memcached closes connections idle for more than a second, as a server, proxy or NAT does to an
  // instance that a serverless platform froze between invocations.
  memcached = await startMemcached({ args: ['-o', 'idle_timeout=1'] });
});
afterAll(async () => {
  await memcached?.stop();
});

describe('a server closing idle connections', () => {
  test('is not a failure: the next command reconnects and succeeds, and the server is never marked down', async () => {
    const client = newClient({ servers: memcached.address, poolSize: 2, failureThreshold: 2 });
    const downs: string[] = [];
    client.on('serverDown', ({ server }) => downs.push(server));
    // Enough keys that both connections of the pool carry some.
    const keys = Array.from({ length: 20 }, (_, i) => `idle:${i}`);
    await Promise.all(keys.map((key) => client.set(key, key)));
    const kicked = Number((await stats(memcached.port)).get('idle_kicks') ?? 0);
    // Both of the client's connections idle out (memcached counts each in idle_kicks).
    await expect
      .poll(async () => Number((await stats(memcached.port)).get('idle_kicks')) - kicked, {
        timeout: 10_000,
        interval: 200,
      })
      .toBeGreaterThanOrEqual(2);
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys);
    expect(downs).toEqual([]);
    expect(client.downServers).toEqual([]);
  }, 20_000);
});
