import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type Client,
  ClientError,
  type ClientOptions,
  ConnectionError,
  createClient,
  MemwireError,
  ServerError,
  TimeoutError,
  type Value,
} from '../../packages/core/src/index.js';
import {
  type MemcachedServer,
  type Nutcracker,
  STATS_INTERVAL_MS,
  startMemcached,
  startNutcracker,
  stopAllMemcached,
  stopAllNutcracker,
} from '../support/index.js';

/**
 * memwire through a real twemproxy (Debian's nutcracker 0.5.0) over three real memcached servers.
 * Seen here: twemproxy forwards get/gets (multi-key gets split per server and merged), the storage
 * commands, cas, delete, incr/decr, touch and version, and handles quit itself. Any other command
 * (stats, flush_all, verbosity, gat, gats, meta commands, …) is a parse error to it: it closes the
 * client connection at once, without a reply, and drops the replies of every command still in flight
 * on that connection, even those it already forwarded (a write among them may have been applied).
 */
const TEST_MS = 5_000;

let servers: MemcachedServer[];
let proxy: Nutcracker;
const opened = new Set<Client>();

function newClient(options: ClientOptions<Value> = {}): Client {
  const client = createClient({ env: {}, servers: proxy.address, ...options });
  opened.add(client);
  return client;
}

/** Clients straight to each memcached, to see where twemproxy put a key. */
function directClients(): Client[] {
  return servers.map((server) => newClient({ servers: server.address }));
}

let sequence = 0;
function uniqueKey(name: string): string {
  sequence += 1;
  return `twem:${name}:${process.pid}:${sequence}`;
}

async function rejection(promise: Promise<unknown>): Promise<MemwireError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MemwireError);
  return error as MemwireError;
}

/** twemproxy refreshes its counters every STATS_INTERVAL_MS; wait out a couple of rounds. */
async function settledProxyStats(): Promise<Awaited<ReturnType<Nutcracker['stats']>>> {
  await new Promise((resolve) => setTimeout(resolve, STATS_INTERVAL_MS * 4));
  return proxy.stats();
}

/** What came back on a fresh raw connection within `waitMs`, and whether the proxy closed it. */
function rawExchange(port: number, bytes: string, waitMs = 500): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      reply += text;
    });
    socket.once('connect', () => socket.write(bytes));
    socket.once('end', () => {
      closed = true;
    });
    socket.once('error', reject);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closed });
    }, waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ reply, closed: true });
    });
  });
}

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  proxy = await startNutcracker({ serverPorts: servers.map((server) => server.port) });
});

afterEach(async () => {
  const closing = [...opened].map((client) => client.close());
  opened.clear();
  await Promise.all(closing);
});

afterAll(async () => {
  await stopAllNutcracker();
  await stopAllMemcached();
});

describe('what nutcracker 0.5.0 does with each command (raw socket)', { timeout: TEST_MS }, () => {
  test.each([
    ['get', 'get twem:raw:absent\r\n', 'END\r\n'],
    ['gets', 'gets twem:raw:absent\r\n', 'END\r\n'],
    ['set', 'set twem:raw:k 0 0 1\r\n1\r\n', 'STORED\r\n'],
    ['version', 'version\r\n', /^VERSION 1\.6\.\d+\r\n$/],
    ['incr on a missing key', 'incr twem:raw:absent 1\r\n', 'NOT_FOUND\r\n'],
    ['touch on a missing key', 'touch twem:raw:absent 10\r\n', 'NOT_FOUND\r\n'],
  ])('%s is forwarded and answered', async (_name, bytes, expected) => {
    const { reply, closed } = await rawExchange(proxy.port, bytes, 300);
    if (typeof expected === 'string') expect(reply).toBe(expected);
    else expect(reply).toMatch(expected);
    expect(closed).toBe(false);
  });

  test('quit: the replies before it arrive, then the proxy closes the connection', async () => {
    const { reply, closed } = await rawExchange(proxy.port, 'get twem:raw:absent\r\nquit\r\n');
    expect(reply).toBe('END\r\n');
    expect(closed).toBe(true);
  });

  test.each([
    'stats\r\n',
    'stats settings\r\n',
    'flush_all\r\n',
    'flush_all 0\r\n',
    'verbosity 1\r\n',
    'gat 100 twem:raw:k\r\n',
    'gats 100 twem:raw:k\r\n',
    'mg twem:raw:k v\r\n',
    'ms twem:raw:k 1\r\n1\r\n',
    'md twem:raw:k\r\n',
    'mn\r\n',
    'me twem:raw:k\r\n',
    'config get cluster\r\n',
    'cache_memlimit 100\r\n',
    'shutdown\r\n',
    'no_such_command\r\n',
  ])('%j is not supported: the proxy closes the connection without a reply', async (bytes) => {
    const { reply, closed } = await rawExchange(proxy.port, bytes);
    expect(reply).toBe('');
    expect(closed).toBe(true);
  });

  test('replies owed for commands pipelined before an unsupported one are dropped', async () => {
    const key = 'twem:raw:pipelined';
    const { reply, closed } = await rawExchange(
      proxy.port,
      `set ${key} 0 0 2\r\nok\r\nget ${key}\r\nstats\r\n`,
    );
    expect(reply).toBe('');
    expect(closed).toBe(true);
  });
});

describe('commands twemproxy forwards', () => {
  test(
    'set and get: a hit is the value, a miss is undefined',
    async () => {
      const client = newClient();
      const key = uniqueKey('get');
      expect(await client.set(key, { through: 'twemproxy' })).toBe(true);
      expect(await client.get(key)).toEqual({ through: 'twemproxy' });
      expect(await client.get(uniqueKey('absent'))).toBeUndefined();
    },
    TEST_MS,
  );

  test(
    'getMany fetches keys held by all three servers in one call',
    async () => {
      const client = newClient();
      const entries = Array.from({ length: 30 }, (_, i) => [uniqueKey(`many-${i}`), `value-${i}`] as const);
      for (const [key, value] of entries) expect(await client.set(key, value)).toBe(true);

      // twemproxy spread them: every memcached holds some of the keys, none holds them all.
      const keys = entries.map(([key]) => key);
      const perServer = await Promise.all(directClients().map((direct) => direct.getMany(keys)));
      for (const held of perServer) {
        expect(held.size).toBeGreaterThan(0);
        expect(held.size).toBeLessThan(keys.length);
      }
      expect(perServer.reduce((sum, held) => sum + held.size, 0)).toBe(keys.length);

      const misses = [uniqueKey('many-miss'), uniqueKey('many-miss')];
      const result = await client.getMany([...keys, ...misses]);
      expect(result).toEqual(new Map(entries));
    },
    TEST_MS,
  );

  test(
    'concurrent gets, coalesced into one line, each get their own value',
    async () => {
      const client = newClient({ poolSize: 1 });
      const entries = Array.from({ length: 20 }, (_, i) => [uniqueKey(`burst-${i}`), `v${i}`] as const);
      await Promise.all(entries.map(([key, value]) => client.set(key, value)));
      const values = await Promise.all([
        ...entries.map(([key]) => client.get(key)),
        client.get(uniqueKey('burst-miss')),
      ]);
      expect(values).toEqual([...entries.map(([, value]) => value), undefined]);
    },
    TEST_MS,
  );

  test(
    'gets returns a CAS token; cas stores with it, is false once the value changed or the key is gone',
    async () => {
      const client = newClient();
      const key = uniqueKey('cas');
      expect(await client.set(key, 'v1')).toBe(true);
      const first = await client.gets(key);
      expect(first?.value).toBe('v1');
      expect(first?.cas).toMatch(/^\d+$/);
      expect(await client.cas(key, 'v2', first!.cas)).toBe(true);
      expect(await client.get(key)).toBe('v2');
      // The token is now stale: EXISTS, a result.
      expect(await client.cas(key, 'v3', first!.cas)).toBe(false);
      expect(await client.get(key)).toBe('v2');
      expect(await client.gets(uniqueKey('cas-missing'))).toBeUndefined();
      // NOT_FOUND, a result.
      expect(await client.cas(uniqueKey('cas-missing'), 'v', first!.cas)).toBe(false);
    },
    TEST_MS,
  );

  test(
    'add, replace, append and prepend give the real replies',
    async () => {
      const client = newClient();
      const key = uniqueKey('storage');
      expect(await client.replace(key, 'nothing to replace')).toBe(false);
      expect(await client.append(key, 'x')).toBe(false);
      expect(await client.prepend(key, 'x')).toBe(false);
      expect(await client.add(key, 'middle')).toBe(true);
      expect(await client.add(key, 'again')).toBe(false);
      expect(await client.append(key, '>')).toBe(true);
      expect(await client.prepend(key, '<')).toBe(true);
      expect(await client.get(key)).toBe('<middle>');
      expect(await client.replace(key, 'replaced')).toBe(true);
      expect(await client.get(key)).toBe('replaced');
    },
    TEST_MS,
  );

  test(
    'delete is true for a key that existed, then false',
    async () => {
      const client = newClient();
      const key = uniqueKey('delete');
      await client.set(key, 'doomed');
      expect(await client.delete(key)).toBe(true);
      expect(await client.delete(key)).toBe(false);
      expect(await client.get(key)).toBeUndefined();
    },
    TEST_MS,
  );

  test(
    'incr and decr count, stop at 0, and a missing key is undefined',
    async () => {
      const client = newClient();
      const key = uniqueKey('counter');
      expect(await client.incr(key, 1)).toBeUndefined();
      await client.set(key, '10');
      expect(await client.incr(key, 5)).toBe(15);
      expect(await client.decr(key, 3)).toBe(12);
      expect(await client.decr(key, 100)).toBe(0);
      expect(await client.incr(key, 2n ** 63n)).toBe(2n ** 63n);
    },
    TEST_MS,
  );

  test(
    'incr on a non-number is a ClientError for that command only, passed through from memcached',
    async () => {
      const client = newClient({ poolSize: 1 });
      const key = uniqueKey('text');
      await client.set(key, 'abc');
      const [error, after] = await Promise.all([rejection(client.incr(key, 1)), client.get(key)]);
      expect(error).toBeInstanceOf(ClientError);
      expect(error.message).toContain('cannot increment or decrement non-numeric value');
      expect(error.server).toBe(proxy.address);
      expect(after).toBe('abc');
    },
    TEST_MS,
  );

  test(
    'touch is true for an existing key, false for a missing one',
    async () => {
      const client = newClient();
      const key = uniqueKey('touch');
      await client.set(key, 'alive');
      expect(await client.touch(key, 100)).toBe(true);
      expect(await client.touch(uniqueKey('touch-missing'), 100)).toBe(false);
    },
    TEST_MS,
  );

  test(
    'version answers through the proxy, keyed by the proxy address',
    async () => {
      const client = newClient();
      const versions = await client.version();
      expect([...versions.keys()]).toEqual([proxy.address]);
      expect(versions.get(proxy.address)).toMatch(/^1\.6\.\d+$/);
    },
    TEST_MS,
  );

  test(
    'quit closes the connections after the replies owed; the next command reconnects',
    async () => {
      const client = newClient();
      const key = uniqueKey('quit');
      const stored = client.set(key, 'before quit');
      await client.quit();
      expect(await stored).toBe(true);
      expect(await client.get(key)).toBe('before quit');
    },
    TEST_MS,
  );

  test(
    'a 500 kB value crosses the proxy whole',
    async () => {
      const client = newClient();
      const key = uniqueKey('big');
      const value = `${'x'.repeat(500_000)}end`;
      expect(await client.set(key, value)).toBe(true);
      expect(await client.get(key)).toBe(value);
    },
    TEST_MS,
  );
});

describe('commands twemproxy does not support, without a proxy option', () => {
  const unsupported: [string, (client: Client) => Promise<unknown>][] = [
    ['stats()', (client) => client.stats()],
    ["stats('settings')", (client) => client.stats('settings')],
    ['flush()', (client) => client.flush()],
    ['verbosity(1)', (client) => client.verbosity(1)],
    ['getAndTouch()', (client) => client.getAndTouch(uniqueKey('gat'), 100)],
    ['getsAndTouch()', (client) => client.getsAndTouch(uniqueKey('gats'), 100)],
  ];

  test.each(unsupported)(
    '%s rejects with a ConnectionError naming the proxy (it closed the connection), at once',
    async (_name, call) => {
      // Far longer than the test may run: a hang fails the test instead of ending as a memwire timeout.
      const client = newClient({ commandTimeout: 15_000 });
      const before = await proxy.stats();
      const error = await rejection(call(client));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).not.toBeInstanceOf(TimeoutError);
      expect(error.server).toBe(proxy.address);
      expect(error.message).toContain(proxy.address);
      // The proxy counted a client connection closed on a parse error.
      expect((await settledProxyStats()).client_err).toBeGreaterThan(before.client_err);
      // And the client carries on over a new connection.
      const key = uniqueKey('after');
      expect(await client.set(key, 'still works')).toBe(true);
      expect(await client.get(key)).toBe('still works');
    },
    TEST_MS,
  );

  test(
    'commands in flight on the same connection reject too, and none gets another command’s reply',
    async () => {
      const client = newClient({ poolSize: 1, commandTimeout: 15_000 });
      const [a, b, c, counter] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('c'), uniqueKey('n')];
      await Promise.all([client.set(a, 'A'), client.set(counter, '7')]);

      // Issued in one tick, so written together, in this order, on the one connection.
      const calls = {
        getA: client.get(a),
        setB: client.set(b, 'B'),
        stats: client.stats(),
        getC: client.get(c),
        incr: client.incr(counter, 1),
        getMany: client.getMany([a, c]),
      };
      const outcomes = await Promise.allSettled(Object.values(calls));
      const names = Object.keys(calls);
      const expected: Record<string, unknown> = {
        getA: 'A',
        setB: true,
        getC: undefined,
        incr: 8,
        getMany: new Map([[a, 'A']]),
      };
      outcomes.forEach((outcome, i) => {
        const name = names[i]!;
        if (outcome.status === 'rejected') {
          // Lost with the connection, and said so: never left pending, never another's reply.
          expect(outcome.reason, name).toBeInstanceOf(ConnectionError);
          expect((outcome.reason as ConnectionError).server, name).toBe(proxy.address);
        } else {
          expect(name).not.toBe('stats');
          expect(outcome.value, name).toEqual(expected[name]);
        }
      });
      expect(outcomes[names.indexOf('stats')]!.status).toBe('rejected');

      // Afterwards the connection is fresh and in step.
      expect(await client.get(a)).toBe('A');
      // A rejected write may still have been applied: twemproxy forwards each command as it parses
      // it, and only then reaches `stats` and drops the connection with the replies owed.
      const storedB = await client.get(b);
      if (outcomes[names.indexOf('setB')]!.status === 'fulfilled') expect(storedB).toBe('B');
      else expect([undefined, 'B']).toContain(storedB);
      const count = await client.incr(counter, 0);
      if (outcomes[names.indexOf('incr')]!.status === 'fulfilled') expect(count).toBe(8);
      else expect([7, 8]).toContain(count);
    },
    TEST_MS,
  );

  test(
    'repeated unsupported calls do not mark the proxy down',
    async () => {
      const client = newClient({ commandTimeout: 15_000 });
      for (let i = 0; i < 5; i++) {
        const error = await rejection(client.stats());
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error.message).not.toMatch(/marked down/);
      }
      const key = uniqueKey('not-down');
      expect(await client.set(key, 'ok')).toBe(true);
      expect(await client.get(key)).toBe('ok');
    },
    TEST_MS,
  );
});

describe('a server behind twemproxy is down (auto_eject_hosts: false)', () => {
  let backends: MemcachedServer[];
  let front: Nutcracker;
  /** Keys twemproxy placed on the server that is then stopped, and keys on the others. */
  let onDead: string[];
  let onLive: string[];

  beforeAll(async () => {
    backends = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    front = await startNutcracker({ serverPorts: backends.map((server) => server.port) });
    const client = createClient({ env: {}, servers: front.address });
    const keys = Array.from({ length: 30 }, (_, i) => `twem:down:${i}`);
    await Promise.all(keys.map((key) => client.set(key, key)));
    await client.close();
    const dead = createClient({ env: {}, servers: backends[0]!.address });
    const held = await dead.getMany(keys);
    await dead.close();
    onDead = keys.filter((key) => held.has(key));
    onLive = keys.filter((key) => !held.has(key));
    await backends[0]!.stop();
  });

  afterAll(async () => {
    await front.stop();
    await Promise.all(backends.map((server) => server.stop()));
  });

  /** A client with one connection that nothing has used yet. */
  const fresh = () => newClient({ servers: front.address, poolSize: 1, commandTimeout: 15_000 });

  test(
    "a key on the dead server is a ServerError (twemproxy's SERVER_ERROR); the connection stays usable",
    async () => {
      expect(onDead.length).toBeGreaterThan(0);
      const client = fresh();
      const error = await rejection(client.get(onDead[0]!));
      expect(error).toBeInstanceOf(ServerError);
      expect(error.message).toBe('SERVER_ERROR Connection refused');
      expect(error.server).toBe(front.address);
      // A single-key get error leaves the connection open: the next command is answered on it.
      expect(await client.get(onLive[0]!)).toBe(onLive[0]);
      expect(await rejection(client.set(onDead[0]!, 'x'))).toBeInstanceOf(ServerError);
      expect(await client.set(onLive[0]!, onLive[0]!)).toBe(true);
    },
    TEST_MS,
  );

  test(
    'a multi-key get touching the dead server fails as a whole: twemproxy answers SERVER_ERROR, then closes',
    async () => {
      const keys = [onLive[0]!, onDead[0]!, onLive[1]!];
      const error = await rejection(fresh().getMany(keys));
      expect(error).toBeInstanceOf(ServerError);
      expect(error.message).toBe('SERVER_ERROR Connection refused');
      expect(error.server).toBe(front.address);

      // Through a proxy memwire sees one server, so every key shares the one error.
      const settled = await fresh().getManySettled(keys);
      for (const key of keys) {
        const outcome = settled.get(key);
        expect(outcome?.ok, key).toBe(false);
        if (outcome?.ok === false) expect(outcome.error, key).toBeInstanceOf(ServerError);
      }
      expect(await fresh().getMany(keys, { onServerError: 'miss' })).toEqual(new Map());
      const live = onLive.slice(0, 3);
      expect(await fresh().getMany(live)).toEqual(new Map(live.map((key) => [key, key])));
    },
    TEST_MS,
  );

  test(
    'separate gets of one tick share a line, so a live key fails with a dead one',
    async () => {
      const client = fresh();
      const [dead, live] = await Promise.all([
        rejection(client.get(onDead[0]!)),
        rejection(client.get(onLive[0]!)),
      ]);
      expect(dead).toBeInstanceOf(ServerError);
      expect(live).toBeInstanceOf(ServerError);
      expect(live.message).toBe('SERVER_ERROR Connection refused');
    },
    TEST_MS,
  );

  test(
    'a call issued just after the failed multi-key get, before the close is seen, fails cleanly',
    async () => {
      const client = fresh();
      const keys = [onLive[0]!, onDead[0]!];
      expect(await rejection(client.getMany(keys))).toBeInstanceOf(ServerError);
      // Issued at once, it is written to the connection twemproxy is closing: its reply never comes.
      // Either memwire notices the close first, or the call fails with it; it never hangs or mismatches.
      const next = await client.get(onLive[0]!).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (next.ok) expect(next.value).toBe(onLive[0]);
      else expect(next.error).toBeInstanceOf(ConnectionError);
      // And the connection after that is a new one that works.
      expect(await client.get(onLive[0]!)).toBe(onLive[0]);
    },
    TEST_MS,
  );
});
