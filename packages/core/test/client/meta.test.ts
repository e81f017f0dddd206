import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  type MemcachedServer,
  type Nutcracker,
  type RecordingRelay,
  startFakeServer,
  startMemcached,
  startNutcracker,
  startRecordingRelay,
} from '../../../../test/support/index.js';
import { ConfigError, ErrorCodes, rawCodec, UnsupportedCommandError } from '../../src/index.js';
import { answerLines, sleep, uniqueKey, useClients } from './helpers.js';

// memcached 1.6.18 (Debian) speaks the meta protocol; twemproxy and a memcached 1.4 (a fake: no
// such build can be installed here) do not. Every meta feature is proved on the real server, and its
// absence on the others is a typed error or the classic path, never a broken connection.

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

/** What crossed the relay's connections from `from` on, as text. */
function traffic(from: number): { sent: string; received: string } {
  const connections = relay.connections.slice(from);
  return {
    sent: connections.map((c) => c.sent.toString('latin1')).join(''),
    received: connections.map((c) => c.received.toString('latin1')).join(''),
  };
}

describe('ttl()', () => {
  test('the seconds an item has left, Infinity for one that never expires, undefined on a miss', async () => {
    const client = newClient({ servers: server.address });
    const key = uniqueKey('ttl');
    await client.set(key, 'v', { ttl: 300 });
    const left = await client.ttl(key);
    expect(left).toBeGreaterThan(290);
    expect(left).toBeLessThanOrEqual(300);
    await client.set(`${key}:forever`, 'v');
    expect(await client.ttl(`${key}:forever`)).toBe(Number.POSITIVE_INFINITY);
    expect(await client.ttl(`${key}:none`)).toBeUndefined();
  });

  test("under protocol: 'classic' it rejects, typed, and sends nothing", async () => {
    const start = relay.connections.length;
    const client = newClient({ servers: relay.address, protocol: 'classic' });
    await expect(client.ttl('k')).rejects.toBeInstanceOf(UnsupportedCommandError);
    await expect(client.ttl('k')).rejects.toMatchObject({ code: ErrorCodes.UNSUPPORTED });
    expect(traffic(start).sent).toBe('');
  });

  test('an invalid key is refused before anything is asked', async () => {
    const client = newClient({ servers: server.address });
    await expect(client.ttl('has space')).rejects.toMatchObject({ code: ErrorCodes.INVALID_KEY });
  });
});

describe('quiet batches (setMany, deleteMany)', () => {
  test('once the server is known to speak meta, a batch that all succeeds is answered by one MN', async () => {
    const opened = relay.connections.length;
    const client = newClient({ servers: relay.address, poolSize: 1 });
    const keys = Array.from({ length: 20 }, (_, i) => uniqueKey(`q${i}`));
    // The first batch leaves at once, classic, and asks about meta in the background.
    const first = await client.setMany(keys.map((key) => [key, 'first']));
    expect([...first.values()].every((outcome) => outcome.ok && outcome.value)).toBe(true);
    await sleep(100);
    // The question was asked on a connection of its own; the sets travel on the other.
    const mine = relay.connections.slice(opened);
    expect(mine).toHaveLength(2);
    const main = mine.find((connection) => connection.sent.includes('set '))!;
    const asker = mine.find((connection) => connection !== main)!;
    expect(asker.sent.toString('latin1')).toBe('version\r\nmn\r\nquit\r\n');
    const start = main.received.length;
    const sentStart = main.sent.length;
    const second = await client.setMany(
      keys.map((key) => [key, 'second']),
      { ttl: 60 },
    );
    expect([...second.values()].every((outcome) => outcome.ok && outcome.value)).toBe(true);
    const sent = main.sent.toString('latin1', sentStart);
    expect(sent.match(/^ms /gm)).toHaveLength(20);
    expect(sent.endsWith('mn\r\n')).toBe(true);
    expect(main.received.toString('latin1', start)).toBe('MN\r\n');
    expect(await client.getMany(keys)).toEqual(new Map(keys.map((key) => [key, 'second'])));
    expect(await client.ttl(keys[0]!)).toBeLessThanOrEqual(60);
  });

  test('a large setMany travels as batches of at most 1,000 commands, each closed by its own mn', async () => {
    const client = newClient({ servers: relay.address, poolSize: 1, protocol: 'meta' });
    const start = relay.connections.length;
    const keys = Array.from({ length: 2500 }, (_, i) => uniqueKey(`big${i}`));
    const outcomes = await client.setMany(keys.map((key) => [key, 'v']));
    expect([...outcomes.values()].filter((outcome) => outcome.ok && outcome.value)).toHaveLength(2500);
    const { sent, received } = traffic(start);
    expect(sent.match(/^mn\r$/gm)).toHaveLength(3);
    expect(received).toBe('MN\r\n'.repeat(3));
  });

  test('TTLs mean in a batch what they mean in a set: over 30 days (a Unix time), and negative (gone at once)', async () => {
    const client = newClient({ servers: server.address, protocol: 'meta' });
    const [far, gone] = [uniqueKey('far'), uniqueKey('gone')];
    const forty = 40 * 24 * 3600;
    await client.setMany([[far, 'v']], { ttl: forty });
    const left = await client.ttl(far);
    expect(left).toBeGreaterThan(forty - 10);
    expect(left).toBeLessThanOrEqual(forty + 1);
    expect((await client.setMany([[gone, 'v']], { ttl: -1 })).get(gone)).toEqual({ ok: true, value: true });
    expect(await client.get(gone)).toBeUndefined();
  });

  test('deleteMany: deleted keys are true and absent ones false, named by the failure replies alone', async () => {
    const client = newClient({ servers: server.address, protocol: 'meta' });
    const [a, b, c] = [uniqueKey('d'), uniqueKey('d'), uniqueKey('d')];
    await client.set(a, '1');
    await client.set(c, '3');
    const outcomes = await client.deleteMany([a, b, c]);
    expect(outcomes).toEqual(
      new Map([
        [a, { ok: true, value: true }],
        [b, { ok: true, value: false }],
        [c, { ok: true, value: true }],
      ]),
    );
    expect(await client.getMany([a, b, c])).toEqual(new Map());
  });

  test('values are bytes: CRLF, NUL and a fake reply inside a value survive the quiet batch', async () => {
    const client = newClient({ servers: server.address, protocol: 'meta', codec: rawCodec });
    const key = uniqueKey('bytes');
    const value = Buffer.from('x\r\nMN\r\nNS O0\r\n\0', 'latin1');
    const other = uniqueKey('bytes');
    const outcomes = await client.setMany([
      [key, value],
      [other, Buffer.from('plain')],
    ]);
    expect([...outcomes.values()].map((outcome) => outcome.ok && outcome.value)).toEqual([true, true]);
    expect(await client.get(key)).toEqual(value);
    expect(await client.get(other)).toEqual(Buffer.from('plain'));
  });

  test('an error reply names no command: every key it may concern reports it, and the connection goes on', async () => {
    const small = await startMemcached({ args: ['-I', '1m'] });
    try {
      const client = newClient({
        servers: small.address,
        protocol: 'meta',
        poolSize: 1,
        maxValueSize: 2 * 1024 * 1024,
        codec: rawCodec,
      });
      const [before, big, after] = [uniqueKey('before'), uniqueKey('big'), uniqueKey('after')];
      const absent = uniqueKey('absent');
      const refusal = await client.setMany([
        [before, Buffer.from('fine')],
        [big, Buffer.alloc(1536 * 1024, 0x61)],
        [after, Buffer.from('also fine')],
      ]);
      // `SERVER_ERROR object too large for cache` carries no opaque: quiet successes are silent, so
      // any key of the batch not named by a reply may be the one refused. Reported failed, it may
      // still be stored (the server stored `before` and `after`): a failure is never reported as success.
      for (const key of [before, big, after]) {
        expect(refusal.get(key)).toMatchObject({ ok: false, error: { code: ErrorCodes.ITEM_TOO_LARGE } });
      }
      expect(await client.get(before)).toEqual(Buffer.from('fine'));
      expect(await client.get(big)).toBeUndefined();
      expect(await client.get(after)).toEqual(Buffer.from('also fine'));
      // A failure that does name its command stays its own.
      const named = await client.deleteMany([before, absent]);
      expect(named).toEqual(
        new Map([
          [before, { ok: true, value: true }],
          [absent, { ok: true, value: false }],
        ]),
      );
    } finally {
      await small.stop();
    }
  });

  test('a key keeps its order: a get issued after setMany in the same tick reads the new value', async () => {
    const client = newClient({ servers: server.address, protocol: 'meta' });
    const key = uniqueKey('order');
    await client.set(key, 'old');
    const [, value] = await Promise.all([client.setMany([[key, 'new']]), client.get(key)]);
    expect(value).toBe('new');
  });
});

describe('getLease() and invalidate(): one caller recomputes', () => {
  test('on a miss exactly one of many concurrent callers wins; after its set everyone reads the value', async () => {
    const a = newClient({ servers: server.address });
    const b = newClient({ servers: server.address });
    const key = uniqueKey('lease');
    const leases = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).getLease(key)));
    expect(leases.filter((lease) => lease.won)).toHaveLength(1);
    expect(leases.every((lease) => lease.value === undefined && !lease.stale)).toBe(true);
    await a.set(key, { page: 1 });
    expect(await b.getLease(key)).toMatchObject({ value: { page: 1 }, won: false, stale: false });
    expect(await b.get(key)).toEqual({ page: 1 });
  });

  test('invalidate keeps the old value readable: one caller wins the refresh, the others are served stale', async () => {
    const client = newClient({ servers: server.address });
    const key = uniqueKey('stale');
    await client.set(key, 'v1');
    expect(await client.invalidate(key, { ttl: 30 })).toBe(true);
    const first = await client.getLease(key);
    const second = await client.getLease(key);
    expect(first).toMatchObject({ value: 'v1', won: true, stale: true });
    expect(second).toMatchObject({ value: 'v1', won: false, stale: true });
    await client.set(key, 'v2');
    expect(await client.getLease(key)).toMatchObject({ value: 'v2', won: false, stale: false });
    expect(await client.invalidate(uniqueKey('absent'))).toBe(false);
  });

  test('a winner that never sets: the lease ends after its ttl and another caller wins', async () => {
    const client = newClient({ servers: server.address });
    const key = uniqueKey('abandoned');
    expect((await client.getLease(key, { ttl: 1 })).won).toBe(true);
    expect((await client.getLease(key, { ttl: 1 })).won).toBe(false);
    await sleep(2100);
    expect((await client.getLease(key, { ttl: 1 })).won).toBe(true);
  });

  test('a bad lease ttl is a typed error, nothing sent', async () => {
    const client = newClient({ servers: server.address });
    await expect(client.getLease('k', { ttl: 0 })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    });
    await expect(client.invalidate('k', { ttl: 1.5 })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    });
  });
});

describe('where the meta protocol is not spoken', () => {
  let nutcracker: Nutcracker;
  let old: FakeServer;
  beforeAll(async () => {
    nutcracker = await startNutcracker({ serverPorts: [server.port] });
    // memcached 1.4: `version` answers 1.4.39, and `mn` would be an ERROR.
    old = await startFakeServer(
      answerLines((line) => {
        if (line === 'version') return 'VERSION 1.4.39\r\n';
        if (line.startsWith('delete ')) return 'NOT_FOUND\r\n';
        return 'ERROR\r\n';
      }),
    );
  });
  afterAll(async () => {
    await nutcracker.stop();
    await old.close();
  });

  test('through twemproxy: never asked (it would close the connection), batches stay classic, ttl() is typed', async () => {
    const client = newClient({ servers: nutcracker.address, proxy: 'twemproxy' });
    const key = uniqueKey('tw');
    await client.setMany([[key, 'v']]);
    await sleep(50);
    expect((await client.setMany([[key, 'w']])).get(key)).toEqual({ ok: true, value: true });
    expect(await client.get(key)).toBe('w');
    await expect(client.ttl(key)).rejects.toBeInstanceOf(UnsupportedCommandError);
    expect((await client.deleteMany([key])).get(key)).toEqual({ ok: true, value: true });
  });

  test("protocol: 'meta' through twemproxy is a configuration error", () => {
    expect(() => newClient({ servers: nutcracker.address, proxy: 'twemproxy', protocol: 'meta' })).toThrow(
      ConfigError,
    );
    expect(() => newClient({ servers: server.address, protocol: 'binary' as 'meta' })).toThrow(ConfigError);
  });

  test('protocols() says which protocol each server is spoken to in', async () => {
    const client = newClient({ servers: [server.address, old.address] });
    expect(await client.protocols()).toEqual(
      new Map([
        [server.address, 'meta'],
        [old.address, 'classic'],
      ]),
    );
    const classic = newClient({ servers: server.address, protocol: 'classic' });
    expect(await classic.protocols()).toEqual(new Map([[server.address, 'classic']]));
  });

  test('protocolOf(key) answers without asking: undefined until the server has been asked', async () => {
    const client = newClient({ servers: server.address });
    expect(client.protocolOf('k')).toBeUndefined();
    await client.protocols();
    expect(client.protocolOf('k')).toBe('meta');
    expect(newClient({ servers: server.address, protocol: 'classic' }).protocolOf('k')).toBe('classic');
    expect(newClient({ servers: nutcracker.address, proxy: 'twemproxy' }).protocolOf('k')).toBe('classic');
  });

  test('a memcached older than 1.6.10: asked once, version only (no mn), classic afterwards', async () => {
    const start = old.received.length;
    const client = newClient({ servers: old.address });
    await expect(client.ttl('k')).rejects.toBeInstanceOf(UnsupportedCommandError);
    await expect(client.getLease('k')).rejects.toBeInstanceOf(UnsupportedCommandError);
    expect((await client.deleteMany(['k'])).get('k')).toEqual({ ok: true, value: false });
    const lines = old.received.toString('latin1', start).split('\r\n');
    expect(lines.filter((line) => line === 'version')).toHaveLength(1);
    expect(lines).not.toContain('mn');
  });
});

describe('what a meta server answers is input', () => {
  let hostile: FakeServer;
  const answers = new Map<string, string>();
  beforeAll(async () => {
    hostile = await startFakeServer(
      answerLines((line) => {
        if (line === 'version') return 'VERSION 1.6.18\r\n';
        if (line === 'mn') return 'MN\r\n';
        for (const [prefix, answer] of answers) if (line.startsWith(prefix)) return answer;
        return 'EN\r\n';
      }),
    );
  });
  afterAll(() => hostile.close());

  test.each([
    ['a TTL that is not a number', 'mg bad-ttl', 'HD tX\r\n', 'ttl'],
    ['a lease without client flags', 'mg no-flags', 'VA 1 c1 W\r\nx\r\n', 'lease'],
    ['a lease with a cas that is not a number', 'mg bad-cas', 'VA 1 f0 c1e9\r\nx\r\n', 'lease'],
    ['a lease answered with HD', 'mg hd-lease', 'HD\r\n', 'lease'],
  ])(
    '%s is a ProtocolError, and the next command works on a fresh connection',
    async (_what, prefix, answer, call) => {
      answers.set(prefix, answer);
      const client = newClient({ servers: hostile.address, poolSize: 1 });
      const key = prefix.slice(3);
      const outcome = call === 'ttl' ? client.ttl(key) : client.getLease(key);
      await expect(outcome).rejects.toMatchObject({ code: ErrorCodes.PROTOCOL });
      expect(await client.ttl('other')).toBeUndefined();
    },
  );
});
