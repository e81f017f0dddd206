import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { AbortError, ErrorCodes, MemwireError, QueueFullError } from '../../src/index.js';
import { allSettleWithin, settleWithin, uniqueKey, useClients } from './helpers.js';

// A memcached stopped with SIGSTOP is the stalled server of these tests: the kernel still accepts
// connections and buffers a few MB for it, then stops taking bytes — exactly what a frozen or
// overloaded server looks like from the client.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const newClient = useClients();

let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(() => server.stop());

let stopped = false;
function stall(): void {
  process.kill(server.pid!, 'SIGSTOP');
  stopped = true;
}
function resume(): void {
  if (!stopped) return;
  process.kill(server.pid!, 'SIGCONT');
  stopped = false;
}
afterEach(resume);

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a server that stops reading', () => {
  test('1M sets: memory stays bounded, the excess rejects with QueueFullError, every promise settles', async () => {
    const client = newClient({ servers: server.address, poolSize: 1, commandTimeout: 5000 });
    await client.version(); // connected before the stall
    stall();
    const value = 'v'.repeat(100);
    const codes = new Map<string, number>();
    let settled = 0;
    let fulfilled = 0;
    const onError = (error: unknown): void => {
      settled += 1;
      const code = error instanceof MemwireError ? error.code : String(error);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    };
    const onValue = (): void => {
      settled += 1;
      fulfilled += 1;
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    const total = 1_000_000;
    for (let round = 0; round < total / 1000; round++) {
      for (let i = 0; i < 1000; i++) client.set(`bp:${i}`, value).then(onValue, onError);
      await tick();
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    // 10,000 pending sets of 100 bytes are a few MB; 1M of them were over 300 MB before the bound.
    expect(retained).toBeLessThan(100 * 1024 * 1024);
    // 10,000 at a time are accepted; each commandTimeout reset on a slow machine frees another 10,000.
    expect(codes.get(ErrorCodes.QUEUE_FULL)).toBeGreaterThanOrEqual(900_000);
    // The rest wait for the stalled server and time out: nothing hangs.
    await settleWithin(
      (async () => {
        while (settled < total) await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      20_000,
    );
    expect(settled).toBe(total);
    expect(fulfilled).toBe(0);
    for (const code of codes.keys()) {
      expect([ErrorCodes.QUEUE_FULL, ErrorCodes.TIMEOUT, ErrorCodes.CONNECTION]).toContain(code);
    }
  }, 60_000);

  test('maxPendingCommands counts each key of a get; the slots free up once the server answers', async () => {
    const client = newClient({
      servers: server.address,
      poolSize: 1,
      commandTimeout: 10_000,
      maxPendingCommands: 10,
    });
    const keys = Array.from({ length: 15 }, () => uniqueKey('slots'));
    for (const key of keys) await client.set(key, 'here');
    stall();
    const gets = keys.map((key) => client.get(key));
    const write = client.set(uniqueKey('slots'), 'x');
    const outcomes = await allSettleWithin([...gets.slice(10), write], 2000);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as QueueFullError;
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error.code).toBe(ErrorCodes.QUEUE_FULL);
      expect(error.server).toBe(server.address);
    }
    resume();
    expect(await Promise.all(gets.slice(0, 10))).toEqual(Array(10).fill('here'));
    // Every slot was given back: a full queue's worth of commands is accepted again.
    const again = await Promise.all(keys.slice(5).map((key) => client.get(key)));
    expect(again).toEqual(Array(10).fill('here'));
  });

  test('a getMany that would not fit under maxPendingCommands is refused whole: none of its keys is sent', async () => {
    const client = newClient({ servers: server.address, poolSize: 1, maxPendingCommands: 10 });
    const observer = newClient({ servers: server.address });
    const keys = Array.from({ length: 11 }, () => uniqueKey('whole'));
    for (const key of keys) await client.set(key, 'here');
    const asked = async (): Promise<number> => Number((await observer.stats()).get(server.address)!.cmd_get);
    const before = await asked();
    const error = await client.getMany(keys).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).code).toBe(ErrorCodes.QUEUE_FULL);
    expect(await asked()).toBe(before);
    // Ten keys are exactly what the queue holds: that getMany is sent, all of it.
    expect((await client.getMany(keys.slice(1))).size).toBe(10);
    expect(await asked()).toBe(before + 10);
  });

  test('with a pool of two, a getMany whose share on one connection would not fit sends none of its keys', async () => {
    const client = newClient({ servers: server.address, poolSize: 2, maxPendingCommands: 10 });
    const observer = newClient({ servers: server.address });
    // pool.ts spreads keys by FNV-1a over UTF-16 code units: 3 keys for the first connection (asked
    // first), 11 for the second, more than it holds.
    const connectionOf = (key: string): number => {
      let hash = 0x811c9dc5;
      for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
      return (hash >>> 0) % 2;
    };
    const shares: string[][] = [[], []];
    while (shares[0]!.length < 3 || shares[1]!.length < 11) {
      const key = uniqueKey('pair');
      const share = shares[connectionOf(key)]!;
      if (share.length < (share === shares[0] ? 3 : 11)) share.push(key);
    }
    const keys = [...shares[0]!, ...shares[1]!];
    const asked = async (): Promise<number> => Number((await observer.stats()).get(server.address)!.cmd_get);
    const before = await asked();
    const error = await client.getMany(keys).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect(await asked()).toBe(before);
    // Without the eleventh key both shares fit: all of it is sent.
    expect((await client.getMany(keys.slice(0, -1))).size).toBe(0);
    expect(await asked()).toBe(before + keys.length - 1);
  });

  test('while the socket is full, commands wait unwritten: one aborted meanwhile never reaches the server', async () => {
    const client = newClient({ servers: server.address, poolSize: 1, commandTimeout: 20_000 });
    await client.version();
    stall();
    // 40 MB of sets: far more than the kernel buffers for a stopped reader.
    const big = 'b'.repeat(500 * 1024);
    const keys = Array.from({ length: 80 }, () => uniqueKey('full'));
    const sets = keys.map((key) => client.set(key, big));
    await tick();
    await tick();
    const cancelled = uniqueKey('cancelled');
    const after = uniqueKey('after');
    const controller = new AbortController();
    const aborted = client.set(cancelled, 'never', { signal: controller.signal });
    const next = client.set(after, 'written');
    await tick();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    resume();
    expect(await Promise.all(sets)).toEqual(Array(keys.length).fill(true));
    expect(await next).toBe(true);
    expect(await client.get(after)).toBe('written');
    expect(await client.get(cancelled)).toBeUndefined();
  }, 30_000);
});
