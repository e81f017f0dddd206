import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CodecError,
  createClient,
  type PhpCodecOptions,
  type PhpResult,
  type PhpValue,
  phpCodec,
} from '../../packages/core/src/index.js';
import { type MemcachedServer, startMemcached } from '../support/index.js';
import { runPhp } from './php.js';
import { flagsReader, storedFlags } from './stored-flags.js';

/**
 * Values shared with PHP's Memcached extension (php-memcached 3.x on libmemcached) through a real
 * memcached, both ways, with its two compressions. Each PHP run is bounded and killed by pid.
 */

/** A value as test/interop/php/cache_values.php writes and reports it. */
interface Tag {
  t: string;
  v?: unknown;
}

/** Scalars both sides have, at the edges. */
const VALUES: Record<string, PhpValue> = {
  greeting: 'hello',
  unicode: 'héllo wörld, 日本語, \u{1f600}',
  empty: '',
  crlf: 'line one\r\nEND\r\nline two',
  binary: Buffer.from([0, 13, 10, 255, 0xfe, 0x80]),
  count: 42,
  negative: -17,
  intMax: 2n ** 63n - 1n,
  intMin: -(2n ** 63n),
  ratio: 0.1 + 0.2,
  half: 1.5,
  huge: 1e300,
  tiny: 5e-324,
  infinite: Number.POSITIVE_INFINITY,
  negativeInfinite: Number.NEGATIVE_INFINITY,
  notANumber: Number.NaN,
  negativeZero: -0,
  yes: true,
  no: false,
  nothing: null,
};

/** Long enough to pass PHP's default compression_threshold (2000 bytes). */
const LONG_TEXT = 'héllo from PHP, '.repeat(200);

/** Over 64 KiB, so FastLZ uses level 2; words from a small vocabulary repeat at every distance. */
function wordSoup(words: number): string {
  const vocabulary = ['memcached', 'value', 'flag', 'zlib', 'fastlz', 'php', 'node', 'cache', 'héllo', 'key'];
  let seed = 7;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    out.push(vocabulary[seed % vocabulary.length]! + (seed % 97));
  }
  return out.join(' ');
}
const HUGE_TEXT = wordSoup(40_000);

function toTag(value: PhpValue): Tag {
  if (typeof value === 'string') return { t: 'string', v: Buffer.from(value).toString('base64') };
  if (value instanceof Uint8Array) return { t: 'string', v: Buffer.from(value).toString('base64') };
  if (typeof value === 'bigint') return { t: 'int', v: value.toString() };
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) {
    return { t: 'int', v: String(value) };
  }
  if (typeof value === 'number')
    return { t: 'float', v: PHP_FLOAT_WORDS.get(value) ?? (Object.is(value, -0) ? '-0' : String(value)) };
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  if (value === null) return { t: 'null' };
  return { t: 'array', v: value };
}

const PHP_FLOAT_WORDS = new Map<number, string>([
  [Number.POSITIVE_INFINITY, 'INF'],
  [Number.NEGATIVE_INFINITY, '-INF'],
  [Number.NaN, 'NAN'],
]);
const PHP_FLOATS: Record<string, number> = { INF: Infinity, '-INF': -Infinity, NAN: Number.NaN };

/** What PHP read, as the JS value memwire would return for it (strings as text when UTF-8, else bytes). */
function fromTag(tag: Tag): PhpResult | undefined | { phpObject: unknown } {
  switch (tag.t) {
    case 'string': {
      const bytes = Buffer.from(tag.v as string, 'base64');
      const text = bytes.toString('utf8');
      return Buffer.from(text).equals(bytes) ? text : bytes;
    }
    case 'int': {
      const value = BigInt(tag.v as string);
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value)
        : value;
    }
    case 'float':
      return PHP_FLOATS[tag.v as string] ?? Number(tag.v);
    case 'bool':
      return tag.v as boolean;
    case 'null':
      return null;
    case 'array':
      return tag.v as PhpResult;
    case 'object':
      return { phpObject: tag.v };
    case 'missing':
      return undefined;
    default:
      throw new Error(`PHP read ${tag.t}: ${String(tag.v)}`);
  }
}

function writeItems(values: Record<string, PhpValue>) {
  return Object.entries(values).map(([key, value]) => ({ key, ...toTag(value) }));
}

async function phpRead(keys: string[], options: object = {}) {
  const tags = await runPhp<Record<string, Tag>>('cache_values.php', {
    port: server.port,
    op: 'read',
    keys,
    ...options,
  });
  return Object.fromEntries(Object.entries(tags).map(([key, tag]) => [key, fromTag(tag)]));
}

function prefixed<T>(prefix: string, values: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}${key}`, value]));
}

let server: MemcachedServer;
/** Every client a test made, closed after the file. */
const clients: { close(): Promise<void> }[] = [];

function memwire(options: PhpCodecOptions = {}) {
  const made = createClient({ servers: server.address, env: {}, codec: phpCodec(options) });
  clients.push(made);
  return made;
}

function flags(keys: string[]) {
  const reader = flagsReader(server.address);
  clients.push(reader);
  return storedFlags(reader, keys);
}

beforeAll(async () => {
  server = await startMemcached();
});

afterAll(async () => {
  await Promise.all(clients.map((each) => each.close()));
  await server?.stop();
});

describe('php-memcached 3', () => {
  test('memwire reads strings, ints, floats, bools and null that PHP wrote', async () => {
    const values = prefixed('php-', VALUES);
    await runPhp('cache_values.php', { port: server.port, op: 'write', items: writeItems(values) });
    expect(Object.fromEntries(await memwire().getMany(Object.keys(values)))).toEqual(values);
  });

  test('PHP keeps the type in the low nibble: 0 string, 1 int, 2 float, 3 bool, 4 serialized null', async () => {
    const keys = ['php-unicode', 'php-count', 'php-intMax', 'php-ratio', 'php-yes', 'php-no', 'php-nothing'];
    expect(await flags(keys)).toEqual({
      'php-unicode': 0,
      'php-count': 1,
      'php-intMax': 1,
      'php-ratio': 2,
      'php-yes': 3,
      'php-no': 3,
      'php-nothing': 4,
    });
  });

  test('memwire reads strings PHP compressed with FastLZ, its default (16 | 64)', async () => {
    const values = { 'fz-long': LONG_TEXT, 'fz-huge': HUGE_TEXT };
    await runPhp('cache_values.php', {
      port: server.port,
      op: 'write',
      compression: 'fastlz',
      items: writeItems(values),
    });
    expect(await flags(Object.keys(values))).toEqual({ 'fz-long': 80, 'fz-huge': 80 });
    expect(Object.fromEntries(await memwire().getMany(Object.keys(values)))).toEqual(values);
  });

  test('memwire reads values PHP compressed with zlib (16 | 32)', async () => {
    const values = { 'zl-long': LONG_TEXT, 'zl-huge': HUGE_TEXT, 'zl-list': [HUGE_TEXT.slice(0, 3000)] };
    await runPhp('cache_values.php', {
      port: server.port,
      op: 'write',
      compression: 'zlib',
      serializer: 'json_array',
      items: writeItems(values),
    });
    expect(await flags(Object.keys(values))).toEqual({ 'zl-long': 48, 'zl-huge': 48, 'zl-list': 48 | 6 });
    expect(Object.fromEntries(await memwire().getMany(Object.keys(values)))).toEqual(values);
  });

  test('PHP reads back equal every scalar memwire wrote', async () => {
    const values = prefixed('mw-', VALUES);
    const client = memwire();
    for (const [key, value] of Object.entries(values)) expect(await client.set(key, value)).toBe(true);
    expect(await phpRead(Object.keys(values))).toEqual(values);
  });

  test('PHP reads memwire’s zlib-compressed values, whatever its own compression_type', async () => {
    const values = { 'mwz-long': LONG_TEXT, 'mwz-huge': HUGE_TEXT, 'mwz-count': 10n ** 18n };
    const client = memwire({ compressThreshold: 2000 });
    for (const [key, value] of Object.entries(values)) await client.set(key, value);
    expect(await flags(Object.keys(values))).toEqual({ 'mwz-long': 48, 'mwz-huge': 48, 'mwz-count': 1 });
    expect(await phpRead(Object.keys(values), { compression: 'fastlz' })).toEqual(values);
  });

  test('PHP reads memwire’s objects (JSON, type 6) as stdClass, or as arrays with SERIALIZER_JSON_ARRAY', async () => {
    const value = { name: 'Ada', tags: Array(20).fill('é'), nested: { n: 1.5, ok: true, none: null } };
    await memwire({ compressThreshold: 50 }).set('mw-object', value);
    await memwire().set('mw-list', [1, 'two']);
    expect(await flags(['mw-object', 'mw-list'])).toEqual({ 'mw-object': 48 | 6, 'mw-list': 6 });
    expect(await phpRead(['mw-object', 'mw-list'])).toEqual({
      'mw-object': { phpObject: value },
      'mw-list': [1, 'two'],
    });
    expect(await phpRead(['mw-object'], { serializer: 'json_array' })).toEqual({ 'mw-object': value });
  });

  test('a PHP-serialized array is a CodecError, or its bytes (decompressed) with unreadable: raw', async () => {
    const items = [
      { key: 'ser-small', t: 'array', v: { a: 1 } },
      { key: 'ser-big', t: 'array', v: { text: LONG_TEXT } },
    ];
    await runPhp('cache_values.php', { port: server.port, op: 'write', compression: 'zlib', items });
    expect(await flags(['ser-small', 'ser-big'])).toEqual({ 'ser-small': 4, 'ser-big': 48 | 4 });
    const error = await memwire()
      .get('ser-small')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toMatch(/PHP-serialized/);
    const raw = memwire({ unreadable: 'raw' });
    expect(await raw.get('ser-small')).toEqual(Buffer.from('a:1:{s:1:"a";i:1;}'));
    expect(((await raw.get('ser-big')) as Buffer).toString().startsWith('a:1:{s:4:"text";s:')).toBe(true);
  });
});
