import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type Client,
  ConnectionError,
  ErrorCodes,
  KetamaRing,
  parseServerList,
  TimeoutError,
} from '../../packages/core/src/index.js';
import { type FakeServer, type NodeScriptRun, runNodeScript, startFakeServer } from '../support/index.js';
import {
  allSettleWithin,
  keysByServer,
  nextEvent,
  retryUntil,
  settleWithin,
  sleep,
  startCluster,
  storedOn,
  useClients,
  useCluster,
} from './helpers.js';

/**
 * Three real memcached servers; the third is killed with SIGKILL (a crash, sockets reset by the
 * kernel) and restarted on the same port. Short probe delays keep each test to a second or two.
 */
const newClient = useClients();
const servers = useCluster();
const quick = { commandTimeout: 1000, retryDelay: 50, maxRetryDelay: 200 } as const;
/** Much less than commandTimeout: a command that settles within it did not wait for a timeout. */
const FAST_MS = 300;

const valueFor = (key: string): string => `v:${key}`;
const addresses = (): string[] => servers.map((server) => server.address);

/** Sets every key to valueFor(key) and checks that each was stored. */
async function fill(client: Client, keys: string[]): Promise<void> {
  const outcomes = await client.setMany(keys.map((key) => [key, valueFor(key)] as const));
  expect([...outcomes.values()].every((outcome) => outcome.ok && outcome.value)).toBe(true);
}

/**
 * Kills the server and resolves with the client's `serverDown`, reading one of its keys meanwhile
 * so the client notices even if no socket of its pool happened to be open.
 */
async function killAndWaitDown(client: Client, index: number, key: string) {
  const down = nextEvent(client, 'serverDown', 5000);
  await servers[index]!.kill();
  const poke = retryUntil(async () => {
    await client.get(key).catch(() => undefined);
    expect(client.downServers).toContain(servers[index]!.address);
  }, 5000);
  const [event] = await Promise.all([down, poke]);
  return event;
}

describe("failover: 'miss' (the default)", () => {
  test('a killed server is reported down, its keys miss and its writes fail fast; the others keep hitting', async () => {
    await startCluster(servers, 3);
    const client = newClient({ servers: addresses(), ...quick });
    const [keysA, keysB, keysC] = keysByServer(addresses(), 10);
    await fill(client, [...keysA!, ...keysB!, ...keysC!]);
    // The keys land where the test's ring says: the client really routes by default ketama.
    for (const key of keysC!) expect(await storedOn(servers[2]!, key)).toBe(valueFor(key));

    const event = await killAndWaitDown(client, 2, keysC![0]!);
    expect(event.server).toBe(servers[2]!.address);
    expect(event.error).toBeInstanceOf(ConnectionError);
    expect(client.downServers).toEqual([servers[2]!.address]);

    const [reads, writes] = await allSettleWithin(
      [
        Promise.all(keysC!.map((key) => client.get(key))),
        Promise.allSettled(keysC!.map((key) => client.set(key, 'new'))),
      ],
      FAST_MS,
    );
    expect(reads).toEqual({ status: 'fulfilled', value: keysC!.map(() => undefined) });
    for (const outcome of (writes as PromiseFulfilledResult<PromiseSettledResult<boolean>[]>).value) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ code: ErrorCodes.CONNECTION, server: servers[2]!.address });
    }
    for (const key of [...keysA!, ...keysB!]) expect(await client.get(key)).toBe(valueFor(key));
    const many = await client.getMany([...keysA!, ...keysB!, ...keysC!]);
    expect(many).toEqual(new Map([...keysA!, ...keysB!].map((key) => [key, valueFor(key)])));
  });

  test('a restarted server is probed in the background, reported up with no traffic, and serves its keys again', async () => {
    await startCluster(servers, 3);
    const client = newClient({ servers: addresses(), ...quick });
    const [, , keysC] = keysByServer(addresses(), 5);
    await fill(client, keysC!);
    await killAndWaitDown(client, 2, keysC![0]!);

    const up = nextEvent(client, 'serverUp', 5000);
    await servers[2]!.restart();
    expect(await up).toEqual({ server: servers[2]!.address });
    expect(client.downServers).toEqual([]);

    // A fresh process: the keys are gone, and the server takes them again.
    expect(await client.get(keysC![0]!)).toBeUndefined();
    await fill(client, keysC!);
    for (const key of keysC!) expect(await client.get(key)).toBe(valueFor(key));
    for (const key of keysC!) expect(await storedOn(servers[2]!, key)).toBe(valueFor(key));
  });

  test('failureThreshold: fewer consecutive failures do not mark the server down', async () => {
    await startCluster(servers, 3);
    const client = newClient({ servers: addresses(), ...quick, failureThreshold: 3 });
    const [keysA, , keysC] = keysByServer(addresses(), 1);
    const key = keysC![0]!;
    const downs: string[] = [];
    client.on('serverDown', ({ server }) => downs.push(server));
    // Killed before the client ever connected to it: each command makes one refused connect, one failure.
    await servers[2]!.kill();

    for (let failure = 1; failure <= 2; failure++) {
      const error = await client.get(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect(client.downServers).toEqual([]);
      expect(downs).toEqual([]);
    }
    await expect(client.get(key)).rejects.toBeInstanceOf(ConnectionError);
    expect(downs).toEqual([servers[2]!.address]);
    // Marked down: a read is a miss without trying, a write fails fast naming the outage.
    expect(await client.get(key)).toBeUndefined();
    await expect(client.set(key, 'x')).rejects.toThrow(/marked down/);
    expect(await client.set(keysA![0]!, 'a')).toBe(true);
  });
});

describe('a server marked down, while a background probe is still connecting', () => {
  let silent: FakeServer | undefined;
  afterEach(async () => {
    await silent?.close();
    silent = undefined;
  });

  test('fails writes fast instead of making them wait on the probe', async () => {
    // Accepts connections and never answers, so each probe hangs in its login for commandTimeout: the
    // same window a probe to an unreachable host spends in connect.
    silent = await startFakeServer(() => {});
    const client = newClient({
      servers: silent.address,
      username: 'user',
      password: 'secret',
      failureThreshold: 1,
      commandTimeout: 1000,
      retryDelay: 10,
      maxRetryDelay: 20,
    });
    await expect(client.set('k', 'v')).rejects.toBeInstanceOf(TimeoutError);
    // The login it waited behind times out a moment later, and that failure marks the server down.
    await retryUntil(async () => expect(client.downServers).toEqual([silent!.address]), 1000, 5);
    const accepted = silent.connections;
    await retryUntil(async () => expect(silent!.connections).toBeGreaterThan(accepted), 2000, 5);

    const outcome = await settleWithin(client.set('k', 'v'), FAST_MS);
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/marked down/);
    expect(await client.get('k')).toBeUndefined();
  });
});

describe("failover: 'rehash'", () => {
  test("a killed server's keys move to the others, and go back to it once it is up again", async () => {
    await startCluster(servers, 3);
    const client = newClient({ servers: addresses(), ...quick, failover: 'rehash' });
    const [keysA, keysB, keysC] = keysByServer(addresses(), 10);
    await fill(client, [...keysA!, ...keysB!, ...keysC!]);
    await killAndWaitDown(client, 2, keysC![0]!);

    // The ring without the dead server: keys of the live servers stay where they are (ketama).
    const survivors = new KetamaRing(parseServerList(addresses().slice(0, 2).join(','), 'servers'));
    for (const key of [...keysA!, ...keysB!]) expect(await client.get(key)).toBe(valueFor(key));
    for (const key of keysC!) expect(await client.get(key)).toBeUndefined();
    await fill(client, keysC!);
    for (const key of keysC!) {
      expect(await client.get(key)).toBe(valueFor(key));
      expect(await storedOn(servers[survivors.serverFor(key)]!, key)).toBe(valueFor(key));
    }

    const up = nextEvent(client, 'serverUp', 5000);
    await servers[2]!.restart();
    await up;
    // Its keys map to it again: the restarted (empty) server answers, not the stale copies elsewhere.
    for (const key of keysC!) expect(await client.get(key)).toBeUndefined();
    await client.setMany(keysC!.map((key) => [key, 'back'] as const));
    for (const key of keysC!) {
      expect(await client.get(key)).toBe('back');
      expect(await storedOn(servers[2]!, key)).toBe('back');
    }
  });
});

describe('close()', () => {
  test('while probing a down server and with commands in flight settles everything and stops probing', async () => {
    await startCluster(servers, 3);
    const client = newClient({ servers: addresses(), ...quick, retryDelay: 10, maxRetryDelay: 20 });
    const [keysA, keysB, keysC] = keysByServer(addresses(), 20);
    await killAndWaitDown(client, 2, keysC![0]!);
    const ups: string[] = [];
    client.on('serverUp', ({ server }) => ups.push(server));

    const inflight = [...keysA!, ...keysB!, ...keysC!].flatMap((key) => [
      client.set(key, valueFor(key)),
      client.get(key),
    ]);
    const outcomes = await allSettleWithin([...inflight, client.close()], quick.commandTimeout + 1000);
    // Everything issued before close() on a live server was answered.
    const live = outcomes.slice(0, (keysA!.length + keysB!.length) * 2);
    expect(live.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    expect(outcomes.at(-1)!.status).toBe('fulfilled');

    // No probe survives close(): the server coming back goes unnoticed.
    await servers[2]!.restart();
    await sleep(200);
    expect(ups).toEqual([]);
  });

  describe('in a child process', () => {
    const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/core');
    const dist = join(coreDir, 'dist/index.mjs');

    beforeAll(() => {
      // npm test builds before running vitest; a local run without a build gets one here.
      if (!existsSync(dist)) {
        execFileSync(process.execPath, [resolve(coreDir, '../../node_modules/tsdown/dist/run.mjs')], {
          cwd: coreDir,
          stdio: 'ignore',
        });
      }
    }, 60_000);

    test('after close() during probes and in-flight commands, the process exits by itself', async () => {
      await startCluster(servers, 3);
      await servers[2]!.kill();
      const script = `
        const { createClient } = await import(${JSON.stringify(pathToFileURL(dist).href)});
        const servers = process.argv.slice(-3);
        const client = createClient({ env: {}, servers, commandTimeout: 500, retryDelay: 10, maxRetryDelay: 20 });
        let downs = 0;
        client.on('serverDown', () => downs++);
        // Enough calls that every server, the dead one too, gets some keys.
        const keys = Array.from({ length: 60 }, (_, i) => 'k' + i);
        while (downs === 0) await Promise.allSettled(keys.map((key) => client.get(key)));
        await new Promise((resolve) => setTimeout(resolve, 30)); // a probe or two has run
        const inflight = keys.flatMap((key) => [client.set(key, key), client.get(key), client.incr(key)]);
        const closing = client.close();
        const outcomes = await Promise.allSettled([...inflight, closing]);
        console.log(JSON.stringify({ downs, settled: outcomes.length, down: client.downServers.length }));
      `;
      const result = await runChild(script, addresses());
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ downs: 1, settled: 181, down: 1 });
    });
  });
});

/** Runs an ES module `script` in a child Node; resolves once it exits by itself, rejects after 5 s. */
function runChild(script: string, args: string[]): Promise<NodeScriptRun> {
  return runNodeScript(script, { args, limitMs: 5000 });
}
