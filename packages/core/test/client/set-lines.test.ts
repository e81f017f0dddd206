import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  type MemcachedServer,
  type Nutcracker,
  type RecordingRelay,
  type RelayedConnection,
  startFakeServer,
  startMemcached,
  startNutcracker,
  startRecordingRelay,
} from '../../../../test/support/index.js';
import { type Client, ErrorCodes } from '../../src/index.js';
import { answerLines, uniqueKey, useClients } from './helpers.js';

// Concurrent plain sets to a server known to speak meta travel as quiet lines (`ms … q O<i>`, then
// `mn`): memcached answers the whole line with one `MN` when every set succeeds. Gets of other keys
// stay in their line across a write; a get of the key written waits for the write.

const newClient = useClients();
let server: MemcachedServer;
let relay: RecordingRelay;
beforeAll(async () => {
  server = await startMemcached();
  relay = await startRecordingRelay(server.port);
});
afterAll(async () => {
  await relay.close();
  await server.stop();
});

/** A client through the relay, already told the server speaks meta; and its command connection. */
async function metaClient(): Promise<{ client: Client; connection: () => RelayedConnection }> {
  const opened = relay.connections.length;
  const client = newClient({ servers: relay.address });
  expect(await client.protocols()).toEqual(new Map([[relay.address, 'meta']]));
  await client.get(uniqueKey('connect'));
  // The question had a connection of its own, ended since; the get opened the commands' one.
  const mine = relay.connections.slice(opened);
  expect(mine).toHaveLength(2);
  const commands = mine.find((c) => c.sent.toString('latin1').startsWith('get '))!;
  return { client, connection: () => commands };
}

/** What the client sends and receives on `connection` while `run` runs. */
async function during(connection: () => RelayedConnection, run: () => Promise<unknown>) {
  const sentFrom = connection().sent.length;
  const receivedFrom = connection().received.length;
  const result = await run();
  return {
    result,
    sent: connection().sent.toString('latin1', sentFrom),
    received: connection().received.toString('latin1', receivedFrom),
  };
}

describe('sets in quiet lines', () => {
  test('a burst of sets is answered by one MN a line, and every value is stored', async () => {
    const { client, connection } = await metaClient();
    const keys = Array.from({ length: 30 }, (_, i) => uniqueKey(`burst${i}`));
    const { result, sent, received } = await during(connection, () =>
      Promise.all(keys.map((key, i) => client.set(key, `v${i}`, { ttl: 60 }))),
    );
    expect(result).toEqual(Array(30).fill(true));
    expect(sent.match(/^ms \S+ \d+ T60 q O\d+\r$/gm)).toHaveLength(30);
    const lines = sent.match(/^mn\r$/gm)?.length ?? 0;
    expect(lines).toBeGreaterThan(1);
    expect(lines).toBeLessThan(30);
    expect(received).toBe('MN\r\n'.repeat(lines));
    expect(await client.getMany(keys)).toEqual(new Map(keys.map((key, i) => [key, `v${i}`])));
  });

  test('a quiet set leaves out T and F when 0, and stores what they meant: no expiry, a string', async () => {
    const { client, connection } = await metaClient();
    const keys = Array.from({ length: 12 }, (_, i) => uniqueKey(`tf${i}`));
    // Every key first lives 100 s, so a set without T that kept the old TTL would show it.
    await Promise.all(keys.map((key) => client.set(key, 'old', { ttl: 100 })));
    const values = keys.map((_, i) => (i % 3 === 0 ? `text${i}` : i % 3 === 1 ? { n: i } : i));
    const { sent } = await during(connection, () =>
      Promise.all(keys.map((key, i) => client.set(key, values[i]!, i % 2 === 0 ? {} : { ttl: 50 }))),
    );
    const quiet = sent.match(/^ms .*$/gm) ?? [];
    expect(quiet).toHaveLength(12);
    expect(quiet.filter((line) => / T/.test(line))).toHaveLength(6);
    expect(quiet.filter((line) => / F/.test(line))).toHaveLength(8);
    for (const [i, key] of keys.entries()) {
      expect(await client.get(key)).toEqual(values[i]);
      const ttl = await client.ttl(key);
      if (i % 2 === 0) expect(ttl).toBe(Number.POSITIVE_INFINITY);
      else expect(ttl).toBeGreaterThan(40);
      if (i % 2 === 1) expect(ttl).toBeLessThanOrEqual(50);
    }
  });

  test('a set alone is a classic set, answered STORED', async () => {
    const { client, connection } = await metaClient();
    const key = uniqueKey('alone');
    const { result, sent, received } = await during(connection, () => client.set(key, 'solo'));
    expect(result).toBe(true);
    expect(sent).toMatch(new RegExp(`^set ${key} \\d+ 0 4\\r\\nsolo\\r\\n$`));
    expect(received).toBe('STORED\r\n');
  });

  test('add, replace, a set with a signal and a large value keep their classic commands', async () => {
    const { client, connection } = await metaClient();
    const [added, replaced, signalled, large] = ['add', 'replace', 'signal', 'large'].map(uniqueKey);
    const big = 'x'.repeat(20_000);
    const { result, sent } = await during(connection, () =>
      Promise.all([
        client.add(added!, 'a'),
        client.replace(replaced!, 'r'),
        client.set(signalled!, 's', { signal: new AbortController().signal }),
        client.set(large!, big),
      ]),
    );
    expect(result).toEqual([true, false, true, true]);
    expect(sent).toContain(`add ${added} `);
    expect(sent).toContain(`replace ${replaced} `);
    expect(sent).toContain(`set ${signalled} `);
    expect(sent).toContain(`set ${large} `);
    expect(sent).not.toMatch(/^ms /m);
    expect(await client.get(large!)).toBe(big);
  });

  test('a get of a key set in the same tick sees the set; the get before it does not', async () => {
    const { client } = await metaClient();
    const key = uniqueKey('order');
    await client.set(key, 'old');
    const others = Array.from({ length: 10 }, (_, i) => uniqueKey(`around${i}`));
    const [before, , stored, between, , many] = await Promise.all([
      client.get(key),
      Promise.all(others.map((other) => client.set(other, 'o'))),
      client.set(key, 'new'),
      client.get(key),
      client.set(key, 'newer'),
      client.getMany([key, ...others]),
    ]);
    expect(before).toBe('old');
    expect(stored).toBe(true);
    expect(between).toBe('new');
    expect(many).toEqual(new Map([[key, 'newer'], ...others.map((other) => [other, 'o'] as const)]));
  });

  test('gets of other keys around a set share one get line', async () => {
    const { client, connection } = await metaClient();
    const [a, b, c] = ['ga', 'sb', 'gc'].map(uniqueKey);
    const { result, sent } = await during(connection, () =>
      Promise.all([client.get(a!), client.set(b!, 'v'), client.get(c!)]),
    );
    expect(result).toEqual([undefined, true, undefined]);
    expect(sent.match(/^get .*\r$/gm)).toEqual([`get ${a} ${c}\r`]);
  });

  test('with classic sets (protocol: classic), gets of other keys around them share a line too', async () => {
    const opened = relay.connections.length;
    const client = newClient({ servers: relay.address, protocol: 'classic' });
    const [a, b, c] = ['cga', 'csb', 'cgc'].map(uniqueKey);
    await client.get(uniqueKey('connect'));
    const commands = relay.connections[opened]!;
    const { result, sent } = await during(
      () => commands,
      () => Promise.all([client.get(a!), client.set(b!, 'v'), client.get(c!), client.get(b!)]),
    );
    expect(result).toEqual([undefined, true, undefined, 'v']);
    // b's get comes after b's set; a and c's line stayed open past it.
    expect(sent.match(/^(get|set) \S+/gm)).toEqual([`set ${b}`, `get ${a}`, `get ${b}`]);
    expect(sent).toContain(`get ${a} ${c}\r\n`);
  });
});

describe('a quiet line that meets an error', () => {
  let small: MemcachedServer;
  beforeAll(async () => {
    // Items of at most 1 KiB (and the slab chunk to match): a 2 KiB value is refused with
    // `SERVER_ERROR object too large for cache`, a line that names no command.
    small = await startMemcached({ args: ['-I', '1k', '-o', 'slab_chunk_max=1024'] });
  });
  afterAll(() => small.stop());

  test('the refused set rejects typed; the line stays in step and the next command works', async () => {
    const client = newClient({ servers: small.address, maxValueSize: 4096 });
    await client.protocols();
    const [before, big, after] = ['before', 'big', 'after'].map(uniqueKey);
    const outcomes = await Promise.allSettled([
      client.set(before!, 'a'),
      client.set(big!, 'x'.repeat(2048)),
      client.set(after!, 'c'),
    ]);
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: ErrorCodes.ITEM_TOO_LARGE } });
    // The error names no set: the line's other sets that had no answer of their own are told they
    // failed with it (they may have been stored), never that a refused set succeeded.
    for (const outcome of [outcomes[0], outcomes[2]]) {
      if (outcome!.status === 'fulfilled') expect(outcome!.value).toBe(true);
      else expect(outcome!.reason).toMatchObject({ code: ErrorCodes.ITEM_TOO_LARGE });
    }
    expect(await client.set(after!, 'again')).toBe(true);
    expect(await client.get(after!)).toBe('again');
    expect(await client.get(big!)).toBeUndefined();
  });
});

describe('what a meta server answers to a quiet line is input', () => {
  let hostile: FakeServer;
  beforeAll(async () => {
    // Says it speaks meta (the first `mn`, the question's), then answers each line's `mn` with a
    // failure naming a set the line never had.
    let asked = false;
    hostile = await startFakeServer(
      answerLines((line) => {
        if (line === 'version') return 'VERSION 1.6.18\r\n';
        if (line === 'mn' && !asked) {
          asked = true;
          return 'MN\r\n';
        }
        if (line === 'mn') return 'NS O99\r\nMN\r\n';
        if (line.startsWith('get ')) return 'END\r\n';
        return undefined;
      }),
    );
  });
  afterAll(() => hostile.close());

  test('a status naming no set of the line is a protocol error for the line, and the client reconnects', async () => {
    const client = newClient({ servers: hostile.address, failureThreshold: 100 });
    await client.protocols();
    const outcomes = await Promise.allSettled([client.set('k1', 'a'), client.set('k2', 'b')]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: ErrorCodes.PROTOCOL } });
    }
    expect(await client.get('k1')).toBeUndefined();
  });
});

describe('asking whether the server speaks meta', () => {
  let nutcracker: Nutcracker;
  beforeAll(async () => {
    nutcracker = await startNutcracker({ serverPorts: [server.port] });
  });
  afterAll(() => nutcracker.stop());

  test('through twemproxy not declared as such, the asking costs its own connection only', async () => {
    // twemproxy forwards `version` (the memcached behind it is 1.6) and closes the connection on
    // `mn`. Asked on the connection the commands use, that close would fail every command in flight.
    const client = newClient({ servers: nutcracker.address, failureThreshold: 1 });
    const keys = Array.from({ length: 20 }, (_, i) => uniqueKey(`tw${i}`));
    const failures: unknown[] = [];
    for (let round = 0; round < 20; round++) {
      const outcomes = await Promise.allSettled([
        client.setMany(keys.map((key) => [key, `r${round}`])),
        ...keys.map((key) => client.set(key, `r${round}`)),
        ...keys.map((key) => client.get(key)),
      ]);
      failures.push(...outcomes.filter((outcome) => outcome.status === 'rejected'));
      const many = outcomes[0]!.status === 'fulfilled' ? [...outcomes[0]!.value.values()] : [];
      failures.push(...many.filter((outcome) => !outcome.ok));
    }
    expect(failures).toEqual([]);
    expect(await client.protocols()).toEqual(new Map([[nutcracker.address, 'classic']]));
    expect(await client.get(keys[0]!)).toBe('r19');
  });
});
