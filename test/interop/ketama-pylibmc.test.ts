import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSelector } from '../../packages/core/src/cluster/selector.js';
import {
  type ClientOptions,
  createClient,
  parseServerList,
  rawCodec,
  resolveConfig,
} from '../../packages/core/src/index.js';
import { type MemcachedServer, startMemcached } from '../support/index.js';
import { flushAll, keysHeldBy } from './direct.js';
import { runPython } from './python.js';
import { sampleKeys } from './sample-keys.js';

/**
 * memwire and pylibmc 1.6.3 (libmemcached 1.1.4) sharing real memcached servers must put every key
 * on the same server. Each scenario runs both ways: pylibmc stores the keys and each server is asked
 * directly which it holds, which must be where memwire's ring puts them; then memwire's client
 * stores them and pylibmc must read every one back through its own ring.
 */

const KEYS = sampleKeys(3000);
const TEST_MS = 30_000;

interface Mode {
  name: string;
  options: Pick<ClientOptions, 'distribution' | 'hash'>;
  /** The same thing said to pylibmc. */
  behaviors: Record<string, boolean | string>;
}

const MODES: Mode[] = [
  {
    name: "'ketama' = pylibmc ketama_weighted",
    options: { distribution: 'ketama' },
    behaviors: { ketama_weighted: true },
  },
  {
    name: "'ketama-unweighted' = pylibmc ketama",
    options: { distribution: 'ketama-unweighted' },
    behaviors: { ketama: true },
  },
  {
    name: "'ketama-unweighted' with hash 'md5' = pylibmc ketama with hash md5",
    options: { distribution: 'ketama-unweighted', hash: 'md5' },
    behaviors: { ketama: true, hash: 'md5' },
  },
  { name: "'modula' = pylibmc with no behaviors", options: { distribution: 'modula' }, behaviors: {} },
  {
    name: "'modula' with hash 'md5' = pylibmc with hash md5",
    options: { distribution: 'modula', hash: 'md5' },
    behaviors: { hash: 'md5' },
  },
];

async function flushList(list: readonly string[]): Promise<void> {
  await Promise.all(parseServerList(list.join(','), 'test').map((s) => flushAll(s.host, s.port)));
}

/** Where pylibmc put each key: the index in `list` of the one server that holds it. */
async function pylibmcPlacement(list: readonly string[], mode: Mode): Promise<Map<string, number>> {
  await flushList(list);
  const request = { mode: 'set', servers: list, behaviors: mode.behaviors, keys: KEYS };
  const { failed } = await runPython<{ failed: string[] }>('pylibmc_cluster.py', request);
  expect(failed).toEqual([]);
  const servers = parseServerList(list.join(','), 'test');
  const held = await Promise.all(servers.map((s) => keysHeldBy(s.host, s.port, KEYS)));
  const placement = new Map<string, number>();
  held.forEach((keys, index) => {
    for (const key of keys) {
      expect(placement.has(key), `${key} is on two servers`).toBe(false);
      placement.set(key, index);
    }
  });
  expect(placement.size).toBe(KEYS.length);
  return placement;
}

function memwireSelector(list: readonly string[], mode: Mode) {
  const config = resolveConfig({ servers: list, ...mode.options, env: false });
  return createSelector(config.servers, config.distribution, config.hash);
}

async function expectSamePlacement(list: readonly string[], mode: Mode): Promise<void> {
  const placement = await pylibmcPlacement(list, mode);
  // A ring that sends everything to one server would agree vacuously with a broken one.
  expect(new Set(placement.values()).size).toBe(list.length);
  const selector = memwireSelector(list, mode);
  const differing = KEYS.filter((key) => selector.serverFor(key) !== placement.get(key));
  expect(differing.slice(0, 5)).toEqual([]);
  expect(differing.length).toBe(0);
}

async function expectPylibmcReadsMemwireWrites(list: readonly string[], mode: Mode): Promise<void> {
  await flushList(list);
  const client = createClient({
    servers: [...list],
    ...mode.options,
    codec: rawCodec,
    commandTimeout: 5_000,
    env: false,
  });
  try {
    const stored = await Promise.all(KEYS.map((key) => client.set(key, key)));
    expect(stored.every(Boolean)).toBe(true);
  } finally {
    await client.close();
  }
  const request = { mode: 'get', servers: list, behaviors: mode.behaviors, keys: KEYS };
  const { missing, wrong } = await runPython<{ missing: string[]; wrong: string[] }>(
    'pylibmc_cluster.py',
    request,
  );
  expect(missing.slice(0, 5)).toEqual([]);
  expect(missing.length).toBe(0);
  expect(wrong).toEqual([]);
}

/** Both directions, for every mode, over one server list. */
function describeList(name: string, list: () => string[], skip?: () => string | undefined): void {
  describe.each(MODES)(`${name}: $name`, (mode) => {
    test('memwire picks the server pylibmc stored each key on', { timeout: TEST_MS }, async (ctx) => {
      const why = skip?.();
      if (why !== undefined) ctx.skip(why);
      await expectSamePlacement(list(), mode);
    });

    test('pylibmc reads back every key memwire stored', { timeout: TEST_MS }, async (ctx) => {
      const why = skip?.();
      if (why !== undefined) ctx.skip(why);
      await expectPylibmcReadsMemwireWrites(list(), mode);
    });
  });
}

describe('a ring shared with pylibmc, three or four servers', () => {
  let servers: MemcachedServer[] = [];
  const ports = () => servers.map((s) => s.port);

  beforeAll(async () => {
    servers = await Promise.all(Array.from({ length: 4 }, () => startMemcached({ memoryMb: 8 })));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  describeList('equal weights', () =>
    ports()
      .slice(0, 3)
      .map((port) => `127.0.0.1:${port}`),
  );
  describeList('mixed weights', () => {
    const [a, b, c, d] = ports();
    return [`127.0.0.1:${a}:1`, `127.0.0.1:${b}:3`, `127.0.0.1:${c}:2`, `127.0.0.1:${d}`];
  });
  describeList('hosts spelled localhost', () => ports().map((port) => `localhost:${port}`));

  test('places keys differently for the same servers spelled localhost and 127.0.0.1', {
    timeout: TEST_MS,
  }, async () => {
    const mode = MODES[0]!;
    const byName = await pylibmcPlacement(
      ports().map((port) => `localhost:${port}`),
      mode,
    );
    const byAddress = await pylibmcPlacement(
      ports().map((port) => `127.0.0.1:${port}`),
      mode,
    );
    const moved = KEYS.filter((key) => byName.get(key) !== byAddress.get(key)).length;
    // Each spelling hashes to its own ring; about three keys in four land elsewhere.
    expect(moved / KEYS.length).toBeGreaterThan(0.5);
  });
});

describe('a ring shared with pylibmc, 25 equal servers', () => {
  // libmemcached counts 156 points per server here, not 160: its float32 arithmetic.
  let servers: MemcachedServer[] = [];

  beforeAll(async () => {
    servers = await Promise.all(Array.from({ length: 25 }, () => startMemcached({ memoryMb: 8 })));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  describeList('25 servers', () => servers.map((s) => s.address));
});

describe('a ring shared with pylibmc, servers on port 11211', () => {
  // libmemcached hashes `host-j` for port 11211 (`host:port-j` otherwise). 127.0.0.1:11211 may belong
  // to someone else, so these servers listen on 11211 of other loopback addresses.
  // Linux routes all of 127.0.0.0/8 to the loopback interface; elsewhere, or when 11211 is taken on
  // one of them, startMemcached rejects and these tests skip.
  const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  let servers: MemcachedServer[] = [];
  let unavailable: string | undefined;

  beforeAll(async () => {
    const started = await Promise.allSettled(
      hosts.map((host) => startMemcached({ host, port: 11211, memoryMb: 8 })),
    );
    servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure !== undefined) unavailable = `no memcached on 127.0.0.x:11211: ${String(failure.reason)}`;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  // Spelled three ways: with the port, bare (port 11211 implied), and with a weight.
  describeList(
    'port 11211',
    () => ['127.0.0.2:11211', '127.0.0.3', '127.0.0.4:11211:2'],
    () => unavailable,
  );
});
