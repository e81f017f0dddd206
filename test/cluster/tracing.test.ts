import { tracingChannel } from 'node:diagnostics_channel';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  ClientError,
  type CommandTrace,
  ConnectionError,
  commandChannel,
} from '../../packages/core/src/index.js';
import { freePort, type MemcachedServer, startMemcached } from '../support/index.js';
import { keysByServer, useClients } from './helpers.js';

/**
 * The `memwire:command` TracingChannel, seen the way OpenTelemetry instrumentation sees it: through
 * node:diagnostics_channel by name, not through anything memwire exports.
 */
const newClient = useClients();
const channel = tracingChannel<CommandTrace, CommandTrace>('memwire:command');

let servers: MemcachedServer[];

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached()]);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.kill().then(() => server.stop())));
});

interface Seen {
  event: 'start' | 'asyncEnd' | 'error';
  trace: CommandTrace;
  /** A copy taken when the event fired: the trace object is filled in as the command goes. */
  snapshot: CommandTrace;
}

const seen: Seen[] = [];
const handlers = {
  start: (trace: CommandTrace) => seen.push({ event: 'start', trace, snapshot: { ...trace } }),
  end: () => {},
  asyncStart: () => {},
  asyncEnd: (trace: CommandTrace) => seen.push({ event: 'asyncEnd', trace, snapshot: { ...trace } }),
  error: (trace: CommandTrace) => seen.push({ event: 'error', trace, snapshot: { ...trace } }),
};

function subscribe(): void {
  channel.subscribe(handlers);
}

afterEach(() => {
  channel.unsubscribe(handlers);
  seen.length = 0;
  vi.restoreAllMocks();
});

/** The asyncEnd snapshot of each command, in the order they settled. */
const ended = (): CommandTrace[] => seen.filter((s) => s.event === 'asyncEnd').map((s) => s.snapshot);

describe("the 'memwire:command' tracing channel", () => {
  test('publishes start and asyncEnd for each command, with command, server, keys, bytes, duration and hit', async () => {
    const addresses = servers.map((server) => server.address);
    const client = newClient({ servers: addresses });
    const [[onFirst], [onSecond]] = keysByServer(addresses, 1, 'trace') as [string[], string[]];
    subscribe();

    await client.set(onFirst!, 'twelve bytes');
    await client.get(onFirst!);
    await client.get(onSecond!);
    await client.getMany([onFirst!, onSecond!]);

    expect(seen.map((s) => s.event)).toEqual([
      'start',
      'asyncEnd',
      'start',
      'asyncEnd',
      'start',
      'asyncEnd',
      'start',
      'asyncEnd',
    ]);
    expect(seen[0]!.snapshot).toEqual({ command: 'set', keys: 1 });
    // Node's TracingChannel adds `result` (the resolved value) to the context as well.
    const [set, hit, miss, many] = ended();
    expect(set).toEqual({
      command: 'set',
      keys: 1,
      server: addresses[0],
      bytes: 12,
      duration: expect.any(Number),
      result: true,
    });
    expect(hit).toEqual({
      command: 'get',
      keys: 1,
      server: addresses[0],
      hit: true,
      duration: expect.any(Number),
      result: 'twelve bytes',
    });
    expect(miss).toMatchObject({ command: 'get', keys: 1, server: addresses[1], hit: false });
    // A call that spans servers names none.
    expect(many).toEqual({
      command: 'getMany',
      keys: 2,
      duration: expect.any(Number),
      result: new Map([[onFirst, 'twelve bytes']]),
    });
    for (const trace of ended()) expect(trace.duration).toBeGreaterThanOrEqual(0);
  });

  test('publishes error, then asyncEnd, with the error, for a command that fails', async () => {
    const client = newClient({ servers: servers[0]!.address });
    await client.set('trace:text', 'not a number');
    subscribe();

    const rejected = await client.incr('trace:text', 1).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ClientError);
    expect(seen.map((s) => s.event)).toEqual(['start', 'error', 'asyncEnd']);
    expect(seen[1]!.trace.error).toBe(rejected);
    expect(ended()[0]).toMatchObject({ command: 'incr', server: servers[0]!.address, error: rejected });
  });

  test('reports the server of a command that could not reach it', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const client = newClient({ servers: dead });
    subscribe();
    const rejected = await client.set('k', 'v').catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ConnectionError);
    expect(ended()).toEqual([
      { command: 'set', keys: 1, server: dead, bytes: 1, duration: expect.any(Number), error: rejected },
    ]);
  });

  test('with no subscriber, publishes nothing and does not wrap commands at all', async () => {
    const client = newClient({ servers: servers[0]!.address });
    const traced = vi.spyOn(commandChannel, 'tracePromise');
    subscribe();
    channel.unsubscribe(handlers);
    expect(commandChannel.start.hasSubscribers).toBe(false);

    await client.set('trace:quiet', 'v');
    expect(await client.get('trace:quiet')).toBe('v');
    await client.getMany(['trace:quiet']);
    expect(seen).toEqual([]);
    expect(traced).not.toHaveBeenCalled();

    // The same client picks a subscriber up as soon as there is one.
    subscribe();
    await client.get('trace:quiet');
    expect(traced).toHaveBeenCalledTimes(1);
    expect(ended()).toMatchObject([{ command: 'get', hit: true }]);
  });
});
