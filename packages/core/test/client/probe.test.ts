import { afterEach, describe, expect, test } from 'vitest';
import { type FakeServer, startFakeServer } from '../../../../test/support/index.js';
import { ConnectionError, TimeoutError } from '../../src/index.js';
import { allSettleWithin, answerLines, useClients } from './helpers.js';

const newClient = useClients();
let fake: FakeServer | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('background probes of a server marked down', () => {
  test('a server that accepts connections but never answers stays down, and comes up once it answers', async () => {
    let answering = false;
    // Accepts every connection; answers `version` only once the test says so, and nothing else ever.
    fake = await startFakeServer(
      answerLines((line) => (answering && line === 'version' ? 'VERSION 9.9\r\n' : undefined)),
    );
    const c = newClient({
      servers: fake.address,
      failureThreshold: 1,
      commandTimeout: 200,
      retryDelay: 20,
      maxRetryDelay: 60,
      poolSize: 1,
    });
    const ups: string[] = [];
    c.on('serverUp', ({ server }) => ups.push(server));

    await expect(c.set('k', 'v')).rejects.toBeInstanceOf(TimeoutError);
    expect(c.downServers).toEqual([fake.address]);

    // Probes keep connecting (several connections) but a connection alone never marks it up.
    await expect.poll(() => fake!.connections, { timeout: 3000 }).toBeGreaterThan(3);
    expect(ups).toEqual([]);
    expect(c.downServers).toEqual([fake.address]);
    // Callers never wait on those probes: a read is a miss at once, a write fails at once.
    const [read, write] = await allSettleWithin([c.get('k'), c.set('k', 'v')], 150);
    expect(read).toEqual({ status: 'fulfilled', value: undefined });
    expect(write!.status === 'rejected' && write!.reason).toBeInstanceOf(ConnectionError);

    answering = true;
    await expect.poll(() => ups, { timeout: 3000 }).toEqual([fake.address]);
    expect(c.downServers).toEqual([]);
  });
});
