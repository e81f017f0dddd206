import { createServer } from 'node:net';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  type ClientOptions,
  type Codec,
  CodecError,
  DefaultFlags,
  ErrorCodes,
  InvalidValueError,
  rawCodec,
  type Value,
} from '../../src/index.js';
import { allSettleWithin, rawRequest, serverStats, uniqueKey, useClients } from './helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(() => server.stop());

const newClient = useClients();
const client = (options: ClientOptions = {}) =>
  newClient({ servers: server.address, commandTimeout: 500, retryDelay: 20, ...options });

/** The flags and bytes of `key` as the server holds them. */
async function stored(key: string): Promise<{ flags: number; data: Buffer } | undefined> {
  const reply = Buffer.from(await rawRequest(server.port, `get ${key}\r\n`, /END\r\n$/), 'latin1');
  if (reply.toString('latin1') === 'END\r\n') return undefined;
  const headerEnd = reply.indexOf('\r\n');
  const [, , flags, length] = reply.toString('latin1', 0, headerEnd).split(' ');
  const start = headerEnd + 2;
  return { flags: Number(flags), data: reply.subarray(start, start + Number(length)) };
}

/** The `get` lines memcached read between two stats snapshots, from its bytes_read: `keys` asked once each. */
function linesRead(before: Record<string, string>, after: Record<string, string>, keys: string[]): number {
  const keyBytes = keys.reduce((sum, key) => sum + 1 + Buffer.byteLength(key), 0);
  return (Number(after['bytes_read']) - Number(before['bytes_read']) - keyBytes - 'stats\r\n'.length) / 5;
}

describe('the default codec', () => {
  const cases: [string, Value][] = [
    ['a string', 'hello'],
    ['an empty string', ''],
    ['text beyond ASCII', 'grüße, 世界 🧪'],
    ['text holding \\r\\n and END lines', 'line one\r\nEND\r\nVALUE x 0 1\r\n'],
    ['an integer', 42],
    ['a negative float', -3.25],
    ['zero', 0],
    ['a number past 2^53', 2 ** 60],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint past 2^64', 2n ** 70n + 1n],
    ['a negative bigint', -123n],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an array', [1, 'two', null, [true]]],
    ['an object', { name: 'Ada', tags: ['x'], nested: { deep: { n: 1.5 } }, empty: {} }],
    ['an empty array', []],
  ];

  test.each(cases)('round-trips %s with its type', async (_name, value) => {
    const c = client();
    const key = uniqueKey('value');
    expect(await c.set(key, value)).toBe(true);
    expect(await c.get(key)).toStrictEqual(value);
    expect(await c.getMany([key])).toStrictEqual(new Map([[key, value]]));
  });

  test('round-trips NaN', async () => {
    const c = client();
    const key = uniqueKey('nan');
    await c.set(key, Number.NaN);
    expect(await c.get(key)).toBeNaN();
  });

  test('returns a Uint8Array as a Buffer holding the same bytes', async () => {
    const c = client();
    const key = uniqueKey('u8');
    await c.set(key, new Uint8Array([0, 1, 254, 255]));
    const got = await c.get(key);
    expect(Buffer.isBuffer(got)).toBe(true);
    expect([...(got as Buffer)]).toEqual([0, 1, 254, 255]);
  });

  test('drops undefined object properties as JSON does', async () => {
    const c = client();
    const key = uniqueKey('undef');
    await c.set(key, { kept: 1, dropped: undefined });
    expect(await c.get(key)).toStrictEqual({ kept: 1 });
  });

  test('writes the documented flags, so other clients can read the values', async () => {
    const c = client();
    const keys = {
      string: uniqueKey('f'),
      bytes: uniqueKey('f'),
      json: uniqueKey('f'),
      number: uniqueKey('f'),
      bigint: uniqueKey('f'),
      boolean: uniqueKey('f'),
    };
    await Promise.all([
      c.set(keys.string, 'text'),
      c.set(keys.bytes, Buffer.from('raw')),
      c.set(keys.json, { a: 1 }),
      c.set(keys.number, 7.5),
      c.set(keys.bigint, 9n),
      c.set(keys.boolean, true),
    ]);
    expect(await stored(keys.string)).toEqual({ flags: DefaultFlags.STRING, data: Buffer.from('text') });
    expect(await stored(keys.bytes)).toEqual({ flags: DefaultFlags.BYTES, data: Buffer.from('raw') });
    expect(await stored(keys.json)).toEqual({ flags: DefaultFlags.JSON, data: Buffer.from('{"a":1}') });
    expect(await stored(keys.number)).toEqual({ flags: DefaultFlags.NUMBER, data: Buffer.from('7.5') });
    expect(await stored(keys.bigint)).toEqual({ flags: DefaultFlags.BIGINT, data: Buffer.from('9') });
    expect(await stored(keys.boolean)).toEqual({ flags: DefaultFlags.BOOLEAN, data: Buffer.from('1') });
  });

  test('hands back the bytes of a value whose flags it does not know', async () => {
    const key = uniqueKey('foreign');
    await rawRequest(server.port, `set ${key} 77 0 5\r\nhello\r\n`);
    expect(await client().get(key)).toStrictEqual(Buffer.from('hello'));
  });

  test('rejects a stored value it cannot parse with CodecError, and the connection stays usable', async () => {
    const c = client();
    const key = uniqueKey('badjson');
    const other = uniqueKey('fine');
    await rawRequest(server.port, `set ${key} ${DefaultFlags.JSON} 0 3\r\n{{{\r\n`);
    await c.set(other, 'fine');
    const [bad, good] = await Promise.allSettled([c.get(key), c.get(other)]);
    expect(bad.status === 'rejected' && bad.reason).toBeInstanceOf(CodecError);
    expect(bad.status === 'rejected' && bad.reason).toMatchObject({ code: ErrorCodes.CODEC });
    expect(good).toEqual({ status: 'fulfilled', value: 'fine' });
    expect(await c.getMany([other])).toEqual(new Map([[other, 'fine']]));
  });

  test('refuses undefined, functions, symbols and circular objects without sending anything', async () => {
    const c = client();
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    for (const value of [undefined, () => 1, Symbol('s'), circular, { big: 1n }]) {
      await expect(c.set(uniqueKey('bad'), value as unknown as Value)).rejects.toBeInstanceOf(
        InvalidValueError,
      );
    }
  });
});

describe('binary values', () => {
  test('round-trip every byte value, NUL and \\r\\n included, byte for byte', async () => {
    const c = client();
    const key = uniqueKey('bytes');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const tricky = Buffer.concat([all, Buffer.from('\r\nEND\r\n\0\r\n'), all.reverse(), Buffer.from('\r')]);
    await c.set(key, tricky);
    expect(await c.get(key)).toStrictEqual(tricky);
    expect((await stored(key))?.data).toStrictEqual(tricky);
  });

  test('a value that is only \\r\\n round-trips', async () => {
    const c = client();
    const key = uniqueKey('crlf');
    await c.set(key, Buffer.from('\r\n'));
    expect(await c.get(key)).toStrictEqual(Buffer.from('\r\n'));
  });

  test('an empty Buffer round-trips', async () => {
    const c = client();
    const key = uniqueKey('empty');
    await c.set(key, Buffer.alloc(0));
    expect(await c.get(key)).toStrictEqual(Buffer.alloc(0));
  });

  test('changing the Buffer after set does not change what was stored', async () => {
    const c = client();
    const key = uniqueKey('mutate');
    const data = Buffer.from('before');
    const stored = c.set(key, data);
    data.write('AFTER!');
    await stored;
    expect(await c.get(key)).toStrictEqual(Buffer.from('before'));
  });

  test('a returned Buffer is the caller’s own: changing it does not change the next read', async () => {
    const c = client();
    const key = uniqueKey('own');
    await c.set(key, Buffer.from('abc'));
    const first = (await c.get(key)) as Buffer;
    first.fill(0);
    expect(await c.get(key)).toStrictEqual(Buffer.from('abc'));
  });

  test('a value of about 1 MB spanning many TCP chunks round-trips intact, with gets around it', async () => {
    const c = client();
    const key = uniqueKey('large');
    const large = Buffer.alloc(1_000_000);
    for (let i = 0; i < large.length; i++) large[i] = (i * 7919) % 251;
    // A few \r\n inside the data, far from the start.
    large.write('\r\nEND\r\n', 500_000, 'latin1');
    const before = uniqueKey('before');
    const after = uniqueKey('after');
    await Promise.all([c.set(key, large), c.set(before, 'b'), c.set(after, 'a')]);
    const [b, got, a, many] = await Promise.all([
      c.get(before),
      c.get(key),
      c.get(after),
      c.getMany([before, key, after]),
    ]);
    expect(b).toBe('b');
    expect(a).toBe('a');
    expect(Buffer.compare(got as Buffer, large)).toBe(0);
    expect(Buffer.compare(many.get(key) as Buffer, large)).toBe(0);
    expect(many.size).toBe(3);
  });

  test('large values stored concurrently do not interleave', async () => {
    const c = client();
    const keys = Array.from({ length: 8 }, () => uniqueKey('big'));
    const values = keys.map((_, i) => Buffer.alloc(200_000, i + 1));
    await Promise.all(keys.map((key, i) => c.set(key, values[i]!)));
    const got = await c.getMany(keys);
    for (const [i, key] of keys.entries()) {
      expect(Buffer.compare(got.get(key) as Buffer, values[i]!)).toBe(0);
    }
  });
});

describe('get coalescing', () => {
  test('100 gets issued in one tick are asked in a few lines, each key once', async () => {
    const c = client();
    const keys = Array.from({ length: 100 }, (_, i) => uniqueKey(`co${i}`));
    await Promise.all(keys.slice(0, 50).map((key) => c.set(key, key)));
    const before = await serverStats(c);

    const results = await Promise.all(keys.map((key) => c.get(key)));
    const after = await serverStats(c);

    expect(results).toEqual(keys.map((key, i) => (i < 50 ? key : undefined)));
    // memcached counts cmd_get per key, and bytes_read per byte received: each line costs "get" and
    // "\r\n" (5 bytes) on top of " <key>" per key. The lines are cut to about a sixth of what is in
    // flight (connection.ts, LINES_IN_FLIGHT), so memcached's answer to the first reaches the client
    // while it answers the rest; 100 separate gets would be 100 lines.
    expect(Number(after['cmd_get']) - Number(before['cmd_get'])).toBe(100);
    expect(Number(after['get_hits']) - Number(before['get_hits'])).toBe(50);
    expect(linesRead(before, after, keys)).toBeGreaterThanOrEqual(6);
    expect(linesRead(before, after, keys)).toBeLessThanOrEqual(20);
  });

  test('with a pool of two connections, a burst of gets is a few lines on each connection', async () => {
    const c = client({ poolSize: 2 });
    const keys = Array.from({ length: 100 }, (_, i) => uniqueKey(`pool${i}`));
    await Promise.all(keys.map((key) => c.set(key, key)));
    const before = await serverStats(c);
    expect(await Promise.all(keys.map((key) => c.get(key)))).toEqual(keys);
    const after = await serverStats(c);
    expect(Number(after['cmd_get']) - Number(before['cmd_get'])).toBe(100);
    expect(linesRead(before, after, keys)).toBeGreaterThanOrEqual(2);
    expect(linesRead(before, after, keys)).toBeLessThanOrEqual(30);
  });

  test('a hot key asked by 50 callers in one tick is asked once, in one line', async () => {
    const c = client();
    const key = uniqueKey('hot');
    await c.set(key, 'v');
    // The set asked whether the server speaks meta (its own connection): done before counting bytes.
    await c.protocols();
    const before = await serverStats(c);
    expect(await Promise.all(Array.from({ length: 50 }, () => c.get(key)))).toEqual(Array(50).fill('v'));
    const after = await serverStats(c);
    expect(Number(after['cmd_get']) - Number(before['cmd_get'])).toBe(1);
    expect(linesRead(before, after, [key])).toBe(1);
  });

  test('a hot key asked between other keys in one tick is still asked once, though the tick takes several lines', async () => {
    // Each request reads its own key and a shared one: cutting the tick into short lines must not
    // make memcached send the shared value once per line.
    const c = client();
    const hot = uniqueKey('hotmix');
    await c.set(hot, 'h');
    const own = Array.from({ length: 50 }, (_, i) => uniqueKey(`own${i}`));
    const before = await serverStats(c);
    const results = await Promise.all(own.flatMap((key) => [c.get(hot), c.get(key)]));
    const after = await serverStats(c);
    expect(results).toEqual(own.flatMap(() => ['h', undefined]));
    expect(Number(after['get_hits']) - Number(before['get_hits'])).toBe(1);
    expect(Number(after['cmd_get']) - Number(before['cmd_get'])).toBe(51);
    expect(linesRead(before, after, [hot, ...own])).toBeGreaterThan(1);
  });

  test('a get issued after a set in the same tick joins no line cut before the set', async () => {
    const c = client();
    const key = uniqueKey('order');
    const other = uniqueKey('order-other');
    await c.set(key, 'old');
    // Two distinct keys cut a line at low load; the set follows it, then the key is asked again.
    const first = c.get(key);
    const second = c.get(other);
    const stored = c.set(key, 'new');
    const third = c.get(key);
    expect(await Promise.all([first, second, stored, third])).toEqual(['old', undefined, true, 'new']);
  });

  test('a get joins no line that already failed: to a server marked down, every get rejects', async () => {
    // A port nobody listens on: the first get marks the server down (failureThreshold 1), so the
    // lines cut next fail as they are sealed; a later get of the same key must fail too, not wait.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const c = newClient({
      servers: `127.0.0.1:${port}`,
      failureThreshold: 1,
      failover: 'rehash',
      retryDelay: 60_000,
      commandTimeout: 500,
    });
    await expect(c.get('first')).rejects.toThrow();
    const outcomes = await allSettleWithin([c.get('k'), c.get('a'), c.get('k')], 2000);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  test('a hot gets joins no get line: each caller gets its value with its cas', async () => {
    const c = client();
    const hot = uniqueKey('hotcas');
    await c.set(hot, 'h');
    const own = Array.from({ length: 10 }, (_, i) => uniqueKey(`owncas${i}`));
    const results = await Promise.all(own.flatMap((key) => [c.get(hot), c.gets(hot), c.get(key)]));
    results.forEach((result, i) => {
      if (i % 3 === 0) expect(result).toBe('h');
      else if (i % 3 === 1) expect(result).toMatchObject({ value: 'h', cas: expect.stringMatching(/^\d+$/) });
      else expect(result).toBeUndefined();
    });
  });

  test('maxKeysPerGet splits a getMany into lines of at most that many keys', async () => {
    const c = newClient({ servers: server.address, commandTimeout: 500, maxKeysPerGet: 10 });
    const keys = Array.from({ length: 35 }, (_, i) => uniqueKey(`split${i}`));
    await c.set(keys[34]!, 'last');
    await c.protocols();
    const before = await serverStats(c);
    const results = await c.getMany(keys);
    const after = await serverStats(c);
    expect(results).toEqual(new Map([[keys[34]!, 'last']]));
    const lines = [0, 10, 20, 30].map((start) => `get ${keys.slice(start, start + 10).join(' ')}\r\n`);
    const expected = lines.reduce((sum, line) => sum + line.length, 0) + 'stats\r\n'.length;
    expect(Number(after['bytes_read']) - Number(before['bytes_read'])).toBe(expected);
  });

  test('maxKeysPerGet bounds the lines of a burst of single gets too', async () => {
    // At most 4 keys a line, so 400 keys take 100 lines or more (the first, while little is in flight,
    // are shorter still).
    const c = newClient({ servers: server.address, commandTimeout: 500, maxKeysPerGet: 4 });
    const keys = Array.from({ length: 400 }, (_, i) => uniqueKey(`cap${i}`));
    const before = await serverStats(c);
    await Promise.all(keys.map((key) => c.get(key)));
    const after = await serverStats(c);
    expect(linesRead(before, after, keys)).toBeGreaterThanOrEqual(100);
    expect(linesRead(before, after, keys)).toBeLessThan(110);
  });

  test('gets and get issued in the same tick are answered separately and correctly', async () => {
    const c = client();
    const key = uniqueKey('mixed');
    await c.set(key, 'v');
    const [plain, withCas, many] = await Promise.all([c.get(key), c.gets(key), c.getMany([key])]);
    expect(plain).toBe('v');
    expect(withCas?.value).toBe('v');
    expect(withCas?.cas).toMatch(/^\d+$/);
    expect(many).toEqual(new Map([[key, 'v']]));
  });

  test('a write between two gets of a tick keeps program order', async () => {
    const c = client();
    const key = uniqueKey('order');
    await c.set(key, 'old');
    const [first, , second] = await Promise.all([c.get(key), c.set(key, 'new'), c.get(key)]);
    expect(first).toBe('old');
    expect(second).toBe('new');
  });
});

describe('rawCodec', () => {
  test('stores strings and bytes with flags 0 and returns Buffers', async () => {
    const raw = newClient({ servers: server.address, codec: rawCodec });
    const [text, bytes] = [uniqueKey('rt'), uniqueKey('rb')];
    await raw.set(text, 'héllo');
    await raw.set(bytes, new Uint8Array([1, 2, 3]));
    expect(await raw.get(text)).toStrictEqual(Buffer.from('héllo'));
    expect(await raw.get(bytes)).toStrictEqual(Buffer.from([1, 2, 3]));
    expect((await stored(text))?.flags).toBe(0);
    expect((await stored(bytes))?.flags).toBe(0);
  });

  test('returns the raw bytes of values other codecs wrote, whatever their flags', async () => {
    const raw = newClient({ servers: server.address, codec: rawCodec });
    const key = uniqueKey('json');
    await client().set(key, { a: 1 });
    expect(await raw.get(key)).toStrictEqual(Buffer.from('{"a":1}'));
  });

  test('refuses a value that is neither a string nor bytes', async () => {
    const raw = newClient({ servers: server.address, codec: rawCodec });
    await expect(raw.set(uniqueKey('n'), 5 as unknown as string)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_VALUE,
    });
  });
});

describe('a custom codec', () => {
  /** Dates as ISO text under flag 9; everything else as deflated JSON under flag 8. */
  const FLAG_DATE = 9;
  const FLAG_DEFLATED_JSON = 8;
  const customCodec: Codec<Date | object, Date | object> = {
    name: 'dates-and-deflate',
    encode(value) {
      if (value instanceof Date) return { data: Buffer.from(value.toISOString()), flags: FLAG_DATE };
      return { data: deflateSync(JSON.stringify(value)), flags: FLAG_DEFLATED_JSON };
    },
    decode(data, flags) {
      if (flags === FLAG_DATE) return new Date(data.toString('latin1'));
      if (flags === FLAG_DEFLATED_JSON) return JSON.parse(inflateSync(data).toString('utf8')) as object;
      throw new CodecError(`unknown flags ${flags}`);
    },
  };

  test('decides the bytes and flags on the wire and reads them back', async () => {
    const c = newClient({ servers: server.address, codec: customCodec });
    const [dateKey, objectKey] = [uniqueKey('date'), uniqueKey('obj')];
    const when = new Date('2024-02-29T12:34:56.789Z');
    const big = { text: 'repetitive '.repeat(1000) };
    await Promise.all([c.set(dateKey, when), c.set(objectKey, big)]);
    expect(await c.get(dateKey)).toStrictEqual(when);
    expect(await c.get(objectKey)).toStrictEqual(big);
    expect(await stored(dateKey)).toEqual({ flags: FLAG_DATE, data: Buffer.from(when.toISOString()) });
    const deflated = await stored(objectKey);
    expect(deflated?.flags).toBe(FLAG_DEFLATED_JSON);
    expect(deflated!.data.length).toBeLessThan(JSON.stringify(big).length / 10);
  });

  test('a decode error rejects that read only', async () => {
    const c = newClient({ servers: server.address, codec: customCodec });
    const [foreign, mine] = [uniqueKey('foreign'), uniqueKey('mine')];
    await client().set(foreign, 'plain text, flags 0');
    await c.set(mine, { ok: true });
    const [bad, good] = await Promise.allSettled([c.get(foreign), c.get(mine)]);
    expect(bad.status === 'rejected' && bad.reason).toBeInstanceOf(CodecError);
    expect(good).toEqual({ status: 'fulfilled', value: { ok: true } });
  });

  test('the size limit applies to the encoded bytes', async () => {
    const c = newClient({ servers: server.address, codec: customCodec, maxValueSize: 2000 });
    // 100 kB of JSON deflates to well under the limit.
    expect(await c.set(uniqueKey('compressible'), { text: 'a'.repeat(100_000) })).toBe(true);
  });
});
