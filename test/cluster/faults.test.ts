import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type Client,
  ConnectionError,
  ErrorCodes,
  type MemwireError,
  ProtocolError,
  TimeoutError,
} from '../../packages/core/src/index.js';
import { type FaultProxy, type MemcachedServer, startFaultProxy, startMemcached } from '../support/index.js';
import { allSettleWithin, rejections, retryUntil, useClients } from './helpers.js';

/**
 * A real memcached behind the fault proxy: the faults a healthy server never produces, on the wire
 * between it and the client. One connection per client (poolSize 1), so every command of a test shares
 * the pipeline the fault hits, and a fault's reset is one failure, well under failureThreshold.
 */
const newClient = useClients();
const COMMAND_TIMEOUT = 300;

let server: MemcachedServer;
let proxy: FaultProxy;

beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await server.kill();
  await server.stop();
});
afterEach(async () => {
  await proxy.close();
});

/** A client through a fresh proxy, with `keys` stored as value-of-key (sizes 1 to ~2 KB). */
async function clientWith(keys: string[], options: { commandTimeout?: number } = {}) {
  proxy = await startFaultProxy(server.port);
  const client = newClient({
    servers: proxy.address,
    poolSize: 1,
    commandTimeout: COMMAND_TIMEOUT,
    retryDelay: 20,
    ...options,
  });
  const outcomes = await client.setMany(keys.map((key) => [key, valueFor(key)] as const));
  expect([...outcomes.values()].every((outcome) => outcome.ok && outcome.value)).toBe(true);
  // The setMany asked whether the server speaks meta, on a connection of its own that ends after:
  // answered and closed before any fault, so the faults hit the commands' one pipeline.
  expect(await client.protocols()).toEqual(new Map([[proxy.address, 'meta']]));
  await retryUntil(async () => expect(proxy.open).toBe(1), 1000, 5);
  return client;
}

/** Connections the client opened for its commands (the meta question's, one, not counted). */
function commandConnections(): number {
  return proxy.accepted - 1;
}

let run = 0;
/** Keys unique to the test, so tests sharing the server never read each other's values. */
function keysFor(name: string, count: number): string[] {
  run += 1;
  return Array.from({ length: count }, (_, i) => `faults:${name}:${process.pid}:${run}:${i}`);
}

/** Each key's own value, of a size that varies with the key, so a value read for the wrong key shows. */
function valueFor(key: string): string {
  const n = Number(key.slice(key.lastIndexOf(':') + 1));
  return `${key}=`.padEnd(1 + ((n * 397) % 2000), String.fromCharCode(97 + (n % 26)));
}

/** Reads every key one by one and all at once; each must come back as its own value. */
async function expectValues(client: Client, keys: string[]): Promise<void> {
  const singles = await Promise.all(keys.map((key) => client.get(key)));
  expect(singles).toEqual(keys.map(valueFor));
  expect(await client.getMany(keys)).toEqual(new Map(keys.map((key) => [key, valueFor(key)])));
}

function expectFailures(
  outcomes: PromiseSettledResult<unknown>[],
  type: new (...args: never[]) => MemwireError,
  code: string,
) {
  const errors = rejections(outcomes);
  expect(errors).toHaveLength(outcomes.length);
  for (const error of errors) {
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, server: proxy.address });
  }
}

describe('a stalled connection', () => {
  test('fails the pipelined commands with TimeoutError, resets the connection, and later commands work', async () => {
    const keys = keysFor('stall', 10);
    const client = await clientWith(keys);
    expect(commandConnections()).toBe(1);
    proxy.setFault({ kind: 'stall' });

    const calls = [
      client.get(keys[0]!),
      client.set(keys[1]!, 'lost?'),
      client.getMany(keys),
      client.incr('n'),
    ];
    const outcomes = await allSettleWithin(calls, COMMAND_TIMEOUT + 1000);
    expectFailures(outcomes, TimeoutError, ErrorCodes.TIMEOUT);
    // The client gave up on that socket.
    await retryUntil(async () => expect(proxy.open).toBe(0), 1000, 5);

    proxy.setFault({ kind: 'pass' });
    // The stall held the set too, so it never reached the server: every value is as stored.
    await expectValues(client, keys);
    expect(commandConnections()).toBe(2);
  });
});

describe('a slow connection', () => {
  test('returns every value intact though replies arrive late and split at arbitrary bytes', async () => {
    const keys = keysFor('slow', 12);
    const client = await clientWith(keys, { commandTimeout: 10_000 });
    proxy.setFault({ kind: 'slow', delayMs: 1, chunkBytes: 97 });
    const [singles, many, stored, counted] = await allSettleWithin(
      [
        Promise.all(keys.map((key) => client.get(key))),
        client.getMany(keys),
        client.set('slow:extra', 'x'),
        client.incr(keys[0]!, 1).catch((error: unknown) => (error as MemwireError).code),
      ],
      10_000,
    );
    expect(singles).toEqual({ status: 'fulfilled', value: keys.map(valueFor) });
    expect(many).toEqual({ status: 'fulfilled', value: new Map(keys.map((key) => [key, valueFor(key)])) });
    expect(stored).toEqual({ status: 'fulfilled', value: true });
    // incr on a non-number is the server's CLIENT_ERROR, still matched to its command.
    expect(counted).toEqual({ status: 'fulfilled', value: ErrorCodes.CLIENT_ERROR });
    expect(commandConnections()).toBe(1);
  });
});

describe('a connection cut mid-reply', () => {
  test.each([
    ['in a status line', 'set', 3],
    ['in a VALUE line', 'get', 10],
    ['in a data block', 'get', 300],
  ])(
    '%s: the commands on it fail with ConnectionError, and no reply is matched to the wrong command afterwards',
    async (_where, first, afterBytes) => {
      const keys = keysFor('cut', 10);
      const client = await clientWith(keys);
      proxy.setFault({ kind: 'cut', afterBytes });
      // keys[2] holds a value of 795 bytes, so its reply can be cut in the data block.
      const gets = () => [client.get(keys[2]!), client.get(keys[3]!)];
      const set = () => client.set(keys[4]!, 'cut?');
      const calls = first === 'set' ? [set(), ...gets()] : [...gets(), set()];
      expectFailures(
        await allSettleWithin(calls, COMMAND_TIMEOUT + 1000),
        ConnectionError,
        ErrorCodes.CONNECTION,
      );

      // The set may or may not have reached the server before the cut: put it back, then read all.
      await retryUntil(() => client.set(keys[4]!, valueFor(keys[4]!)), 2000);
      await expectValues(client, keys);
      expect(commandConnections()).toBe(2);
    },
  );
});

describe('bytes that are not a reply', () => {
  test.each([
    ['an unknown reply line', 'HELLO THERE\r\n'],
    ['the reply to another command', 'STORED\r\n'],
    ['binary noise', '\u0000\u00ff\u0080\r\n'],
    ['a VALUE header for a key nobody asked for', 'VALUE nobody 0 1\r\nx\r\nEND\r\n'],
  ])(
    '%s fails the commands with ProtocolError, and the next commands read the right values',
    async (_name, bytes) => {
      const keys = keysFor('garbage', 10);
      const client = await clientWith(keys);
      proxy.setFault({ kind: 'garbage', bytes: Buffer.from(bytes, 'latin1') });
      const calls = [client.get(keys[0]!), client.get(keys[1]!), client.getMany(keys.slice(2))];
      expectFailures(
        await allSettleWithin(calls, COMMAND_TIMEOUT + 1000),
        ProtocolError,
        ErrorCodes.PROTOCOL,
      );

      await expectValues(client, keys);
      expect(await client.set(keys[0]!, 'after')).toBe(true);
      expect(await client.get(keys[0]!)).toBe('after');
      expect(commandConnections()).toBe(2);
    },
  );
});
