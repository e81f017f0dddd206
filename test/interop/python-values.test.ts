import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CodecError,
  createClient,
  djangoKeyFunction,
  type PymemcacheCodecOptions,
  type PymemcacheResult,
  type PymemcacheValue,
  pymemcacheCodec,
} from '../../packages/core/src/index.js';
import { type MemcachedServer, startMemcached } from '../support/index.js';
import { runPython } from './python.js';
import { flagsReader, storedFlags } from './stored-flags.js';

/**
 * Values shared with Python through a real memcached: Django 3.2's PyMemcacheCache (pymemcache) with a
 * KEY_PREFIX and VERSION, and pylibmc with compression. Each Python run is bounded and killed by pid.
 */

/** A value as test/interop/python/cache_values.py writes and reports it. */
interface Tag {
  t: string;
  v?: unknown;
}

const DJANGO = { prefix: 'shop', version: 3 } as const;

/** Every type both sides have, with values at the edges. */
const VALUES: Record<string, PymemcacheValue> = {
  greeting: 'hello',
  unicode: 'héllo wörld, 日本語, \u{1f600}',
  empty: '',
  crlf: 'line one\r\nEND\r\nline two',
  raw: Buffer.from([0, 13, 10, 255, 1, 0x80]),
  count: 42,
  negative: -17,
  maxSafe: Number.MAX_SAFE_INTEGER,
  past53: 2n ** 53n + 1n,
  past64: 2n ** 64n + 1n,
  hugeNegative: -(10n ** 40n),
  ratio: 0.1 + 0.2,
  tiny: 5e-324,
  infinite: Number.POSITIVE_INFINITY,
  negativeZero: -0,
  yes: true,
  no: false,
  nothing: null,
};

function toTag(value: PymemcacheValue): Tag {
  if (typeof value === 'string') return { t: 'str', v: value };
  if (value instanceof Uint8Array) return { t: 'bytes', v: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') return { t: 'int', v: value.toString() };
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) {
    return { t: 'int', v: String(value) };
  }
  if (typeof value === 'number') return { t: 'float', v: Object.is(value, -0) ? '-0.0' : String(value) };
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  return { t: 'none' };
}

const PYTHON_FLOATS: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: Number.NaN };

/** What Python read, as the JS value memwire would return for it. */
function fromTag(tag: Tag): PymemcacheResult | undefined {
  switch (tag.t) {
    case 'str':
      return tag.v as string;
    case 'bytes':
      return Buffer.from(tag.v as string, 'base64');
    case 'int': {
      const value = BigInt(tag.v as string);
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value;
    }
    case 'float':
      return PYTHON_FLOATS[tag.v as string] ?? Number(tag.v);
    case 'bool':
      return tag.v as boolean;
    case 'none':
      return null;
    case 'missing':
      return undefined;
    default:
      throw new Error(`Python read a ${tag.t}: ${String(tag.v)}`);
  }
}

function writeItems(values: Record<string, PymemcacheValue>) {
  return Object.entries(values).map(([key, value]) => ({ key, ...toTag(value) }));
}

async function pythonRead(
  request: object,
  keys: string[],
): Promise<Record<string, PymemcacheResult | undefined>> {
  const tags = await runPython<Record<string, Tag>>('cache_values.py', { ...request, op: 'read', keys });
  return Object.fromEntries(Object.entries(tags).map(([key, tag]) => [key, fromTag(tag)]));
}

let server: MemcachedServer;
/** Every client a test made, closed after the file. */
const clients: { close(): Promise<void> }[] = [];

function client<T extends { close(): Promise<void> }>(made: T): T {
  clients.push(made);
  return made;
}

function djangoClient(options: PymemcacheCodecOptions = {}, version: number = DJANGO.version) {
  const keyFunction = djangoKeyFunction({ prefix: DJANGO.prefix, version });
  return client(
    createClient({ servers: server.address, env: {}, keyFunction, codec: pymemcacheCodec(options) }),
  );
}

beforeAll(async () => {
  server = await startMemcached();
});

afterAll(async () => {
  await Promise.all(clients.map((each) => each.close()));
  await server?.stop();
});

describe('Django 3.2 PyMemcacheCache', () => {
  const django = () => ({ client: 'django', port: server.port, ...DJANGO });

  test('memwire reads str, bytes, int, float, bool and None that Django wrote', async () => {
    const values = Object.fromEntries(Object.entries(VALUES).map(([key, value]) => [`dj-${key}`, value]));
    await runPython('cache_values.py', { ...django(), op: 'write', items: writeItems(values) });
    const read = await djangoClient().getMany(Object.keys(values));
    expect(Object.fromEntries(read)).toEqual(values);
  });

  test('Django writes str as 16, int of any size as 2, bytes as 0 and the rest as pickles (1)', async () => {
    const keys = ['dj-unicode', 'dj-count', 'dj-past64', 'dj-raw', 'dj-ratio', 'dj-yes', 'dj-nothing'];
    const reader = client(flagsReader(server.address, djangoKeyFunction(DJANGO)));
    expect(await storedFlags(reader, keys)).toEqual({
      'dj-unicode': 16,
      'dj-count': 2,
      'dj-past64': 2,
      'dj-raw': 0,
      'dj-ratio': 1,
      'dj-yes': 1,
      'dj-nothing': 1,
    });
  });

  test('Django reads back equal every value memwire wrote', async () => {
    const memwire = djangoClient();
    for (const [key, value] of Object.entries(VALUES))
      expect(await memwire.set(`mw-${key}`, value)).toBe(true);
    const keys = Object.keys(VALUES).map((key) => `mw-${key}`);
    const read = await pythonRead(django(), keys);
    expect(read).toEqual(Object.fromEntries(keys.map((key, i) => [key, Object.values(VALUES)[i]])));
  });

  test('memwire uses Django’s key, so another VERSION is a miss', async () => {
    await djangoClient().set('versioned', 'v3');
    expect(await djangoClient({}, 4).get('versioned')).toBeUndefined();
    expect(await pythonRead(django(), ['versioned'])).toEqual({ versioned: 'v3' });
  });

  test('a pickled dict from Django is a CodecError, or its pickle bytes with unreadable: raw', async () => {
    await runPython('cache_values.py', {
      ...django(),
      op: 'write',
      items: [{ key: 'cart', t: 'dict', v: { a: 1 } }],
    });
    const error = await djangoClient()
      .get('cart')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe('ERR_MEMWIRE_CODEC');
    const raw = (await djangoClient({ unreadable: 'raw' }).get('cart')) as Buffer;
    expect(Buffer.isBuffer(raw)).toBe(true);
    expect([...raw.subarray(0, 2)]).toEqual([0x80, 5]); // pickle protocol 5
  });
});

describe('pylibmc 1.6', () => {
  const pylibmc = () => ({ client: 'pylibmc', port: server.port, min_compress_len: 100 });
  const LONG_TEXT = 'héllo pylibmc '.repeat(300);
  const LONG_BYTES = Buffer.from('bytes '.repeat(300));
  const plain = () => client(createClient({ servers: server.address, env: {}, codec: pymemcacheCodec() }));

  test('memwire reads what pylibmc wrote, including values it compressed', async () => {
    const values = Object.fromEntries(
      Object.entries({ ...VALUES, longText: LONG_TEXT, longBytes: LONG_BYTES, longInt: 10n ** 120n }).map(
        ([key, value]) => [`pl-${key}`, value],
      ),
    );
    await runPython('cache_values.py', { ...pylibmc(), op: 'write', items: writeItems(values) });
    const read = Object.fromEntries(await plain().getMany(Object.keys(values)));
    // pylibmc stores a bool as an int (flag 2, "1"/"0"), so it reads back as 1/0, in Python too.
    expect(read).toEqual({ ...values, 'pl-yes': 1, 'pl-no': 0 });
  });

  test('pylibmc writes ints as 4, bools as 2 and adds 8 to what it compressed', async () => {
    const keys = [
      'pl-count',
      'pl-past64',
      'pl-yes',
      'pl-unicode',
      'pl-longText',
      'pl-longBytes',
      'pl-longInt',
    ];
    expect(await storedFlags(client(flagsReader(server.address)), keys)).toEqual({
      'pl-count': 4,
      'pl-past64': 4,
      'pl-yes': 2,
      'pl-unicode': 16,
      'pl-longText': 24,
      'pl-longBytes': 8,
      'pl-longInt': 12,
    });
  });

  test('pylibmc reads back equal every value memwire wrote, compressed above compressThreshold', async () => {
    const memwire = client(
      createClient({ servers: server.address, env: {}, codec: pymemcacheCodec({ compressThreshold: 100 }) }),
    );
    const values: Record<string, PymemcacheValue> = {
      ...VALUES,
      longText: LONG_TEXT,
      longBytes: LONG_BYTES,
      longInt: 10n ** 120n,
    };
    for (const [key, value] of Object.entries(values))
      expect(await memwire.set(`mwc-${key}`, value)).toBe(true);
    const keys = Object.keys(values).map((key) => `mwc-${key}`);
    const flags = await storedFlags(client(flagsReader(server.address)), ['mwc-longText', 'mwc-longBytes']);
    expect(flags).toEqual({ 'mwc-longText': 24, 'mwc-longBytes': 8 });
    const read = await pythonRead(pylibmc(), keys);
    expect(read).toEqual(Object.fromEntries(keys.map((key, i) => [key, Object.values(values)[i]])));
  });
});
