import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { PhpFlags, type PhpValue, phpCodec } from '../../src/codec/php-codec.js';
import { CodecError, ConfigError, InvalidValueError } from '../../src/errors.js';
import { hex, thrown } from './helpers.js';

const codec = phpCodec();

/** php-memcached 3's compressed layout: the original length (uint32 LE), then the compressed bytes. */
function withLength(size: number, compressed: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(size);
  return Buffer.concat([prefix, compressed]);
}

function roundTrip(value: PhpValue, options = {}) {
  const c = phpCodec(options);
  const encoded = c.encode(value);
  return { flags: encoded.flags, out: c.decode(Buffer.from(encoded.data), encoded.flags) };
}

describe('phpCodec', () => {
  test('is named "php" and uses php-memcached’s flag numbers', () => {
    expect(codec.name).toBe('php');
    expect(PhpFlags).toMatchObject({ STRING: 0, LONG: 1, DOUBLE: 2, BOOL: 3, SERIALIZED: 4, JSON: 6 });
    expect(PhpFlags).toMatchObject({ COMPRESSED: 16, ZLIB: 32, FASTLZ: 64 });
  });

  describe('reading what PHP wrote', () => {
    // Each as seen on the wire from php-memcached 3.2.0 on PHP 8.2.
    test.each([
      ['a string', 'h\xc3\xa9llo', 0, 'héllo'],
      ['an empty string', '', 0, ''],
      ['an int', '42', 1, 42],
      ['PHP_INT_MAX as a bigint', '9223372036854775807', 1, 9223372036854775807n],
      ['a float', '1.5', 2, 1.5],
      ['a float PHP writes without its leading zero', '.30000000000000004', 2, 0.1 + 0.2],
      ['a float in exponent form', '1e+300', 2, 1e300],
      ['a float with an upper-case exponent', '1.0E+25', 2, 1e25],
      ['INF', 'Infinity', 2, Number.POSITIVE_INFINITY],
      ['-INF', '-Infinity', 2, Number.NEGATIVE_INFINITY],
      ['true', '1', 3, true],
      ['false (stored as nothing)', '', 3, false],
      ['null (serialized N;)', 'N;', 4, null],
      ['a JSON object (json serializer)', '{"a":{"b":[1,2]}}', 6, { a: { b: [1, 2] } }],
      ['a JSON list', '[1,"x"]', 6, [1, 'x']],
      ['a string with user flags in the high 16 bits', 'u', 0x10000, 'u'],
    ])('returns %s', (_, latin1, flags, expected) => {
      expect(codec.decode(Buffer.from(latin1, 'latin1'), flags)).toEqual(expected);
    });

    test('returns NaN for NaN', () => {
      expect(codec.decode(Buffer.from('NaN'), 2)).toBeNaN();
    });

    test('reads booleans as PHP does: true only when the first byte is "1"', () => {
      expect(['10', '0', ' 1', 'true'].map((text) => codec.decode(Buffer.from(text), 3))).toEqual([
        true,
        false,
        false,
        false,
      ]);
    });

    test('returns a string that is not UTF-8 as a Buffer, never as replacement characters', () => {
      const out = codec.decode(Buffer.from([0xff, 0xfe, 0x41]), 0);
      expect(out).toEqual(Buffer.from([0xff, 0xfe, 0x41]));
    });

    test("returns every string as a Buffer with { strings: 'bytes' }", () => {
      expect(phpCodec({ strings: 'bytes' }).decode(Buffer.from('abc'), 0)).toEqual(Buffer.from('abc'));
    });

    test('decompresses zlib (flags 16 | 32), as PHP writes with compression_type=zlib', () => {
      const stored = hex('b80b0000789cedc2411100000c02a0ac6aff0eabb1071ce9a2aaaafe7eecd47cad');
      expect(codec.decode(stored, 48)).toBe('abc'.repeat(1000));
    });

    test('decompresses FastLZ (flags 16 | 64), PHP’s default compression', () => {
      const stored = hex(`800c0000076d656d7769726520${'e0fd07'.repeat(12)}e0240702726520`);
      expect(codec.decode(stored, 80)).toBe('memwire '.repeat(400));
    });

    test('decompresses before reading the type', () => {
      const json = JSON.stringify({ list: Array(500).fill('x') });
      const stored = withLength(json.length, deflateSync(json));
      expect(codec.decode(stored, 48 | PhpFlags.JSON)).toEqual({ list: Array(500).fill('x') });
    });
  });

  describe('values it cannot read', () => {
    test.each([
      ['a serialized array', 'a:2:{i:0;i:1;i:1;i:2;}', 4, /PHP-serialized/],
      ['igbinary', '\x00\x00\x00\x02\x14\x01\x11\x01a\x06\x01', 5, /igbinary/],
      ['msgpack', '\x81\xa1a\x01', 7, /msgpack/],
      ['a type PHP does not define', 'x', 9, /PHP type 9/],
    ])('throws CodecError for %s', (_, latin1, flags, message) => {
      const error = thrown(CodecError, () => codec.decode(Buffer.from(latin1, 'latin1'), flags));
      expect(error.message).toMatch(message);
    });

    test("returns a serialized array's bytes with { unreadable: 'raw' }", () => {
      const raw = phpCodec({ unreadable: 'raw' });
      expect(raw.decode(Buffer.from('a:0:{}'), 4)).toEqual(Buffer.from('a:0:{}'));
      const stored = withLength(6, deflateSync('a:0:{}'));
      expect(raw.decode(stored, 48 | 4)).toEqual(Buffer.from('a:0:{}'));
    });

    test.each([
      ['compressed with no method bit', 16],
      ['a method bit without the compressed bit', 32],
      ['a method PHP 3.2 does not have', 16 | 128],
      ['both methods at once', 16 | 32 | 64],
    ])('throws CodecError naming an unknown compression for %s', (_, flags) => {
      const error = thrown(CodecError, () => codec.decode(withLength(1, deflateSync('x')), flags));
      expect(error.message).toMatch(/compression this codec does not know/);
    });

    test.each([
      ['a length prefix that does not match', withLength(5, deflateSync('abcdef')), 48, /expected 5/],
      ['data shorter than the prefix', Buffer.from([1, 0]), 48, /length prefix/],
      ['zlib bytes that are corrupt', withLength(3, Buffer.from('xyz')), 48, /not valid zlib/],
      ['a declared size over maxInflatedSize', withLength(2 ** 31, Buffer.alloc(3)), 80, /maxInflatedSize/],
      ['an int that is not decimal', Buffer.from('4x'), 1, /not a decimal integer/],
      ['a float that is not a number', Buffer.from('abc'), 2, /not a number/],
      ['JSON that does not parse', Buffer.from('{"a":'), 6, /could not be parsed/],
    ])('throws CodecError for %s', (_, data, flags, message) => {
      const error = thrown(CodecError, () => codec.decode(data, flags));
      expect(error.message).toMatch(message);
    });
  });

  describe('writing what PHP reads', () => {
    test.each([
      ['a string as UTF-8, type 0', 'héllo', 0, 'h\xc3\xa9llo'],
      ['a safe integer as decimal, type 1', -42, 1, '-42'],
      ['an int64 bigint, type 1', 2n ** 63n - 1n, 1, '9223372036854775807'],
      ['a float, type 2', 1.5, 2, '1.5'],
      ['a large float in exponent form, type 2', 1e21, 2, '1e+21'],
      [
        'an integer too large to be safe as a float (shortest form), type 2',
        2 ** 60,
        2,
        '1152921504606847000',
      ],
      ['-0 as a float, type 2', -0, 2, '-0'],
      ['Infinity, type 2', Number.NEGATIVE_INFINITY, 2, '-Infinity'],
      ['NaN, type 2', Number.NaN, 2, 'NaN'],
      ['true as "1", type 3', true, 3, '1'],
      ['false as nothing, type 3', false, 3, ''],
      ['null as N;, type 4', null, 4, 'N;'],
      ['an object as JSON, type 6', { a: [1, 'é'] }, 6, '{"a":[1,"\xc3\xa9"]}'],
    ])('stores %s', (_, value, flags, latin1) => {
      const encoded = codec.encode(value);
      expect(encoded.flags).toBe(flags);
      expect(Buffer.from(encoded.data).toString('latin1')).toBe(latin1);
    });

    test('stores bytes as a PHP string, type 0', () => {
      expect(codec.encode(new Uint8Array([0, 255]))).toEqual({ data: new Uint8Array([0, 255]), flags: 0 });
    });

    test.each([
      ['a string', 'héllo \u{1f600}'],
      ['an integer', 123456789],
      ['an int64 bigint', -(2n ** 63n)],
      ['a float', 0.1 + 0.2],
      ['a tiny float', 5e-324],
      ['true', true],
      ['false', false],
      ['null', null],
      ['an array', [1, 'two', { three: 3 }]],
    ])('round-trips %s', (_, value) => {
      expect(roundTrip(value).out).toEqual(value);
    });

    test('round-trips -0 and NaN', () => {
      expect(Object.is(roundTrip(-0).out, -0)).toBe(true);
      expect(roundTrip(Number.NaN).out).toBeNaN();
    });

    test.each([
      ['a bigint over PHP_INT_MAX', 2n ** 63n],
      ['a bigint under PHP_INT_MIN', -(2n ** 63n) - 1n],
    ])('rejects %s with InvalidValueError (PHP would read PHP_INT_MAX)', (_, value) => {
      thrown(InvalidValueError, () => codec.encode(value));
    });

    test.each([
      ['undefined', undefined],
      ['a symbol', Symbol('s')],
      [
        'a circular object',
        (() => {
          const o: Record<string, unknown> = {};
          o['o'] = o;
          return o;
        })(),
      ],
    ])('rejects %s with InvalidValueError', (_, value) => {
      thrown(InvalidValueError, () => codec.encode(value as PhpValue));
    });
  });

  describe('compression', () => {
    const compressing = phpCodec({ compressThreshold: 100 });

    test('never compresses by default', () => {
      expect(codec.encode('x'.repeat(100_000)).flags).toBe(0);
    });

    test('stores zlib with the length prefix and flags 16 | 32 | type', () => {
      const value = 'é'.repeat(100);
      const encoded = compressing.encode(value);
      expect(encoded.flags).toBe(48);
      const data = Buffer.from(encoded.data);
      expect(data.readUInt32LE(0)).toBe(200);
      expect(inflateSync(data.subarray(4)).toString()).toBe(value);
      expect(compressing.decode(data, encoded.flags)).toBe(value);
    });

    test('compresses other types too, keeping their type in the low nibble', () => {
      const encoded = compressing.encode({ list: Array(100).fill('abc') });
      expect(encoded.flags).toBe(48 | PhpFlags.JSON);
    });

    test('leaves a value under the threshold alone', () => {
      expect(compressing.encode('x'.repeat(99)).flags).toBe(0);
    });

    test('rejects a NaN threshold with ConfigError', () => {
      thrown(ConfigError, () => phpCodec({ compressThreshold: Number.NaN }));
    });
  });
});
