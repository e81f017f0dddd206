import { connect } from 'node:net';
import { afterEach } from 'vitest';
import type { FakeConnectionState, FakeDataHandler } from '../../../../test/support/index.js';
import { type Client, type ClientOptions, createClient, type Value } from '../../src/index.js';

/**
 * Creates clients that are closed after each test. Every client gets `env: {}` unless the test
 * passes its own, so MEMCACHE_* variables of the machine running the tests never leak in.
 */
export function useClients(): <In = Value, Out = In>(options: ClientOptions<In, Out>) => Client<In, Out> {
  const open = new Set<{ close(): Promise<void> }>();
  afterEach(async () => {
    const closing = [...open].map((client) => client.close());
    open.clear();
    await Promise.all(closing);
  });
  return <In, Out>(options: ClientOptions<In, Out>) => {
    const client = createClient<In, Out>({ env: {}, ...options });
    open.add(client);
    return client;
  };
}

/**
 * A fake-server script that answers each complete command line with `answer(line)` (nothing when it
 * returns undefined). Only for line commands (no data blocks): version, get, stats, delete.
 */
export function answerLines(answer: (line: string) => string | undefined): FakeDataHandler {
  const consumed = new WeakMap<FakeConnectionState, number>();
  return (socket, _chunk, state) => {
    let offset = consumed.get(state) ?? 0;
    for (let end = state.received.indexOf('\r\n', offset); end !== -1; ) {
      const reply = answer(state.received.toString('latin1', offset, end));
      if (reply !== undefined) socket.write(reply);
      offset = end + 2;
      end = state.received.indexOf('\r\n', offset);
    }
    consumed.set(state, offset);
  };
}

/** A key unique to this run, so tests sharing a server never see each other's data. */
let counter = 0;
export function uniqueKey(name: string): string {
  counter += 1;
  return `${name}-${process.pid}-${counter}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves with how `promise` settled, or rejects if it has not settled within `ms`: the bound that
 * proves "no hang" without asserting how fast anything is.
 */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value): PromiseFulfilledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every promise of `promises` settled, or a rejection if any is still pending after `ms`. */
export function allSettleWithin(
  promises: Promise<unknown>[],
  ms: number,
): Promise<PromiseSettledResult<unknown>[]> {
  return settleWithin(Promise.allSettled(promises), ms).then((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  });
}

/** The reasons of the rejected outcomes. */
export function rejections(outcomes: PromiseSettledResult<unknown>[]): unknown[] {
  return outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
}

/** Calls `attempt` until it resolves, for at most `ms`; rethrows the last failure after that. */
export async function retryUntil<T>(attempt: () => Promise<T>, ms: number, pauseMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(pauseMs);
    }
  }
}

/**
 * Sends `text` on a fresh raw socket (bypassing the client under test) and resolves with everything
 * received once it matches `until`. For looking at the server's state with the client out of the way.
 */
export function rawRequest(port: number, text: string | Buffer, until: RegExp = /\r\n$/): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply matching ${until} from port ${port}: ${JSON.stringify(buffered)}`));
    }, 3000);
    socket.setEncoding('latin1');
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (until.test(buffered)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffered);
      }
    });
    socket.write(text);
  });
}

/** The server's remaining TTL of `key` in seconds (-1 = never expires), read with the meta command `mg <key> t`. */
export async function remainingTtl(port: number, key: string): Promise<number | undefined> {
  const reply = await rawRequest(port, `mg ${key} t\r\n`);
  if (reply.startsWith('EN')) return undefined;
  const match = /^HD t(-?\d+)\r\n$/.exec(reply);
  if (match === null) throw new Error(`unexpected mg reply ${JSON.stringify(reply)}`);
  return Number(match[1]);
}

/** The `stats` of the only server of `client`. */
export async function serverStats<In, Out>(client: Client<In, Out>): Promise<Record<string, string>> {
  const all = await client.stats();
  const [first] = all.values();
  if (first === undefined) throw new Error('the client has no server');
  return first;
}
