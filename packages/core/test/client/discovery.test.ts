import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  type MemcachedServer,
  startFakeServer,
  startMemcached,
} from '../../../../test/support/index.js';
import { parseClusterConfig } from '../../src/cluster/discovery.js';
import { ClientError, DiscoveryError, ErrorCodes } from '../../src/index.js';
import { answerLines, uniqueKey, useClients } from './helpers.js';

// AWS ElastiCache is not reachable here: a fake configuration endpoint answers `config get cluster`
// the way ElastiCache does, pointing at real memcached nodes.
let nodes: MemcachedServer[] = [];
let endpoint: FakeServer | undefined;
let answer = '';

const newClient = useClients();

function clusterReply(version: number, servers: MemcachedServer[]): string {
  const body = `${version}\n${servers.map((s) => `localhost|127.0.0.1|${s.port}`).join(' ')}\n`;
  return `CONFIG cluster 0 ${Buffer.byteLength(body)}\r\n${body}\r\nEND\r\n`;
}

beforeAll(async () => {
  nodes = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  endpoint = await startFakeServer(
    answerLines((line) => (line === 'config get cluster' ? answer : 'ERROR\r\n')),
  );
});

afterAll(async () => {
  await endpoint?.close();
  await Promise.all(nodes.map((node) => node.stop()));
});

afterEach(() => {
  answer = '';
});

/** Connections open on `node` now, not counting the one asking. */
async function currConnections(node: MemcachedServer): Promise<number> {
  const probe = newClient({ servers: node.address, poolSize: 1 });
  const stats = await probe.stats();
  await probe.close();
  return Number(stats.get(node.address)!['curr_connections']) - 1;
}

describe('parseClusterConfig', () => {
  test('reads the version and hostname|ip|port nodes, hashing the hostname and connecting to the IP', () => {
    expect(parseClusterConfig('12\nnode1.example|10.0.0.1|11211 node2.example||11212\n', 'cfg')).toEqual({
      version: 12,
      nodes: [
        { host: 'node1.example', ip: '10.0.0.1', port: 11211, weight: 1 },
        { host: 'node2.example', ip: undefined, port: 11212, weight: 1 },
      ],
    });
  });

  test('rejects a reply that is not a node list with a DiscoveryError', () => {
    expect(() => parseClusterConfig('x\nnode|1.2.3.4|11211\n', 'cfg')).toThrow(DiscoveryError);
    expect(() => parseClusterConfig('3\nnode|1.2.3.4|notaport\n', 'cfg')).toThrow(DiscoveryError);
    expect(() => parseClusterConfig('3\n\n', 'cfg')).toThrow(DiscoveryError);
  });
});

describe('AWS ElastiCache auto discovery', () => {
  test('uses the discovered nodes, then swaps the ring and drains removed nodes when the config changes', async () => {
    const [a, b, c] = nodes as [MemcachedServer, MemcachedServer, MemcachedServer];
    answer = clusterReply(1, [a, b]);
    const client = newClient({ servers: endpoint!.address, autoDiscovery: { interval: 1000 }, poolSize: 1 });
    const changes: { servers: string[]; version: number }[] = [];
    client.on('topologyChange', (change) => changes.push(change));

    // Commands issued before the first answer wait for it, then land on the discovered nodes.
    const keys = Array.from({ length: 30 }, (_, i) => uniqueKey(`disc${i}`));
    expect(await Promise.all(keys.map((key) => client.set(key, key)))).toEqual(keys.map(() => true));
    expect(client.servers).toEqual([`localhost:${a.port}`, `localhost:${b.port}`]);
    expect(changes).toEqual([{ servers: client.servers, version: 1 }]);
    const onA = await newClient({ servers: a.address }).getMany(keys);
    const onB = await newClient({ servers: b.address }).getMany(keys);
    expect(onA.size + onB.size).toBe(keys.length);
    expect(onA.size).toBeGreaterThan(0);
    expect(onB.size).toBeGreaterThan(0);
    const connectedToA = await currConnections(a);

    answer = clusterReply(2, [b, c]);
    const swapped = new Promise((resolve) => client.once('topologyChange', resolve));
    expect(await swapped).toEqual({ servers: [`localhost:${b.port}`, `localhost:${c.port}`], version: 2 });
    expect(client.servers).toEqual([`localhost:${b.port}`, `localhost:${c.port}`]);
    const moved = keys.map((key) => `${key}-v2`);
    await Promise.all(moved.map((key) => client.set(key, key)));
    expect(await client.getMany(moved)).toEqual(new Map(moved.map((key) => [key, key])));
    const onC = await newClient({ servers: c.address }).getMany(moved);
    expect(onC.size).toBeGreaterThan(0);
    // The removed node's connection was drained (quit), not leaked.
    await expect.poll(() => currConnections(a), { timeout: 3000 }).toBe(connectedToA - 1);
  });

  test('an endpoint that does not know `config get cluster` is reported, and the client uses it as a node', async () => {
    const [a] = nodes as [MemcachedServer];
    // Plain memcached answers ERROR to `config get cluster`.
    const client = newClient({ servers: a.address, autoDiscovery: true });
    const failed = new Promise<{ error: Error }>((resolve) => client.once('discoveryError', resolve));
    const key = uniqueKey('plain');
    expect(await client.set(key, 'v')).toBe(true);
    const { error } = await failed;
    expect(error).toBeInstanceOf(DiscoveryError);
    expect(error).toMatchObject({ code: ErrorCodes.DISCOVERY, server: a.address });
    // The endpoint's own answer is kept as the cause.
    expect(error.cause).toBeInstanceOf(ClientError);
    expect(error.message).toMatch(/ERROR/);
    expect(await client.get(key)).toBe('v');
    expect(client.servers).toEqual([a.address]);
  });

  test('getMany issued before the first answer asks for the keys given, whatever the caller does to its array meanwhile', async () => {
    const [a] = nodes as [MemcachedServer];
    answer = clusterReply(1, [a]);
    const key = uniqueKey('asked');
    await newClient({ servers: a.address }).set(key, 'v');
    const client = newClient({ servers: endpoint!.address, autoDiscovery: { interval: 1000 } });
    const keys = [key];
    const hits = client.getMany(keys);
    // A caller reusing its array: the call must have taken the keys as they were when it was made.
    keys[0] = uniqueKey('other');
    keys.push(uniqueKey('more'));
    expect(await hits).toEqual(new Map([[key, 'v']]));
  });
});
