import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ErrorCodes,
  InvalidKeyError,
  InvalidValueError,
  type MemwireError,
  type Outcome,
  TimeoutError,
  ValueTooLargeError,
} from '../../packages/core/src/index.js';
import { type FaultProxy, type MemcachedServer, startFaultProxy, startMemcached } from '../support/index.js';
import { allSettleWithin, keysByServer, retryUntil, settleWithin, storedOn, useClients } from './helpers.js';

/**
 * Multi-key calls over three real servers, each behind its own fault proxy so a test can stall one
 * server (or all) and see what crosses the wire.
 */
const newClient = useClients();
const COMMAND_TIMEOUT = 400;

const servers: MemcachedServer[] = [];
let proxies: FaultProxy[] = [];

beforeAll(async () => {
  servers.push(...(await Promise.all([startMemcached(), startMemcached(), startMemcached()])));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill().then(() => server.stop())));
});
afterEach(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  proxies = [];
});

let run = 0;

/** A client of three fresh proxies, and `perServer` keys for each server (unique to the test). */
async function cluster(perServer: number) {
  proxies = await Promise.all(servers.map((server) => startFaultProxy(server.port)));
  const addresses = proxies.map((proxy) => proxy.address);
  // A failed multi-key call counts once per connection; keep the stalled server in the ring.
  const client = newClient({ servers: addresses, commandTimeout: COMMAND_TIMEOUT, failureThreshold: 100 });
  run += 1;
  const [a, b, c] = keysByServer(addresses, perServer, `multi:${run}`) as [string[], string[], string[]];
  return { client, a, b, c, all: [...a, ...b, ...c] };
}

const valueFor = (key: string): string => `v:${key}`;
const entries = (keys: string[]) => keys.map((key) => [key, valueFor(key)] as const);

function expectOk<T>(outcomes: Map<string, Outcome<T>>, keys: string[], value: (key: string) => T): void {
  for (const key of keys) expect(outcomes.get(key)).toEqual({ ok: true, value: value(key) });
}

/** Each key's outcome is a TimeoutError naming the stalled proxy. */
function expectTimedOut(outcomes: Map<string, Outcome<unknown>>, keys: string[], proxy: FaultProxy): void {
  for (const key of keys) {
    const outcome = outcomes.get(key);
    expect(outcome?.ok).toBe(false);
    const error = (outcome as { error: MemwireError }).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: ErrorCodes.TIMEOUT, server: proxy.address });
  }
}

/** Stalls every proxy, starts `call`, and waits until each server has been sent its share. */
async function sentToAllAtOnce<T>(call: () => Promise<T>): Promise<T> {
  for (const proxy of proxies) proxy.setFault({ kind: 'stall' });
  const before = proxies.map((proxy) => proxy.received);
  const promise = call();
  // No server has answered (all are stalled), yet every one has its request: the calls fan out.
  await retryUntil(async () => {
    expect(proxies.map((proxy, i) => proxy.received > before[i]!)).toEqual([true, true, true]);
  }, 1000);
  for (const proxy of proxies) proxy.setFault({ kind: 'pass' });
  return promise;
}

describe('multi-key calls over three servers', () => {
  test('setMany, getMany, getManySettled and deleteMany send every server its share at once', async () => {
    const { client, a, b, c, all } = await cluster(5);
    // Connect first, so each call's bytes are its own and not held behind a connect.
    await client.version();

    const stored = await sentToAllAtOnce(() => client.setMany(entries(all)));
    expectOk(stored, all, () => true);
    for (const [i, keys] of [a, b, c].entries()) {
      for (const key of keys) expect(await storedOn(servers[i]!, key)).toBe(valueFor(key));
    }
    const many = await sentToAllAtOnce(() => client.getMany(all));
    expect(many).toEqual(new Map(entries(all)));
    const settled = await sentToAllAtOnce(() => client.getManySettled([...all, 'multi:absent']));
    expectOk(settled, all, valueFor);
    expect(settled.get('multi:absent')).toEqual({ ok: true, value: undefined });
    const deleted = await sentToAllAtOnce(() => client.deleteMany([...all.slice(1), 'multi:absent']));
    expectOk(deleted, all.slice(1), () => true);
    expect(deleted.get('multi:absent')).toEqual({ ok: true, value: false });
    expect(await client.getMany(all)).toEqual(new Map([[all[0]!, valueFor(all[0]!)]]));
  });

  describe('with one server stalled', () => {
    test('the other servers answer at once; the stalled server’s keys time out, naming it, within commandTimeout', async () => {
      const { client, a, b, c, all } = await cluster(5);
      await client.setMany(entries(all));
      proxies[2]!.setFault({ kind: 'stall' });

      const settledCall = client.getManySettled(all);
      // The live servers' keys, asked for alongside, do not wait for the stalled one.
      const live = await settleWithin(Promise.all([...a, ...b].map((key) => client.get(key))), 200);
      expect(live).toEqual({ status: 'fulfilled', value: [...a, ...b].map(valueFor) });

      const settled = await settleWithin(settledCall, COMMAND_TIMEOUT + 1000);
      expect(settled.status).toBe('fulfilled');
      const outcomes = (settled as PromiseFulfilledResult<Map<string, Outcome<unknown>>>).value;
      expectOk(outcomes, [...a, ...b], valueFor);
      expectTimedOut(outcomes, c, proxies[2]!);
    });

    test('setMany and deleteMany report each key: done on the live servers, TimeoutError on the stalled one', async () => {
      const { client, a, b, c, all } = await cluster(4);
      proxies[2]!.setFault({ kind: 'stall' });
      const [stored, deleted] = await allSettleWithin(
        [client.setMany(entries(all)), client.deleteMany([...a, ...c])],
        COMMAND_TIMEOUT + 1000,
      );
      const storedOutcomes = (stored as PromiseFulfilledResult<Map<string, Outcome<boolean>>>).value;
      expectOk(storedOutcomes, [...a, ...b], () => true);
      expectTimedOut(storedOutcomes, c, proxies[2]!);
      // deleteMany ran after setMany on each connection, in order: a's keys existed.
      const deletedOutcomes = (deleted as PromiseFulfilledResult<Map<string, Outcome<boolean>>>).value;
      expectOk(deletedOutcomes, a, () => true);
      expectTimedOut(deletedOutcomes, c, proxies[2]!);
    });

    test("getMany rejects with the stalled server's TimeoutError, or with onServerError: 'miss' returns the others' hits", async () => {
      const { client, a, b, all } = await cluster(4);
      await client.setMany(entries(all));
      proxies[2]!.setFault({ kind: 'stall' });
      const [strict, lenient] = await allSettleWithin(
        [client.getMany(all), client.getMany(all, { onServerError: 'miss' })],
        COMMAND_TIMEOUT + 1000,
      );
      expect(strict?.status).toBe('rejected');
      expect((strict as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      expect((strict as PromiseRejectedResult).reason).toMatchObject({ server: proxies[2]!.address });
      expect(lenient).toEqual({ status: 'fulfilled', value: new Map(entries([...a, ...b])) });
    });
  });

  describe('setMany with invalid input', () => {
    test.each([
      ['a key with a space', ['bad key', 'v'], InvalidKeyError],
      ['a key over 250 bytes', ['k'.repeat(251), 'v'], InvalidKeyError],
      ['a value the codec cannot store', ['fine', undefined], InvalidValueError],
      ['a value over maxValueSize', ['big', 'x'.repeat(1024 * 1024 + 1)], ValueTooLargeError],
    ])('rejects %s, and sends nothing at all', async (_name, bad, type) => {
      const { client, all } = await cluster(3);
      const list = [...entries(all), bad] as [string, string][];
      await expect(client.setMany(list)).rejects.toBeInstanceOf(type);
      expect(proxies.map((proxy) => proxy.accepted)).toEqual([0, 0, 0]);
      expect(proxies.map((proxy) => proxy.received)).toEqual([0, 0, 0]);
      for (const [i, keys] of keysByServer(
        proxies.map((proxy) => proxy.address),
        3,
        `multi:${run}`,
      ).entries()) {
        for (const key of keys) expect(await storedOn(servers[i]!, key)).toBeUndefined();
      }
    });
  });
});
