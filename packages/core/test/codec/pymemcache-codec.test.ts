import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { PymemcacheFlags, type PymemcacheValue, pymemcacheCodec } from '../../src/codec/pymemcache-codec.js';
import { CodecError, ConfigError, InvalidValueError } from '../../src/errors.js';
import { hex, thrown } from './helpers.js';

const codec = pymemcacheCodec();

function roundTrip(value: PymemcacheValue, options = {}) {
  const c = pymemcacheCodec(options);
  const encoded = c.encode(value);
  return { flags: encoded.flags, out: c.decode(Buffer.from(encoded.data), encoded.flags) };
}

describe('pymemcacheCodec', () => {
  test('is named "pymemcache" and uses pymemcache’s flag numbers', () => {
    expect(codec.name).toBe('pymemcache');
    expect(PymemcacheFlags).toEqual({ BYTES: 0, PICKLE: 1, INTEGER: 2, LONG: 4, COMPRESSED: 8, TEXT: 16 });
  });

  describe('reading what Python wrote', () => {
    // Each as seen on the wire from Django 3.2 PyMemcacheCache, pymemcache 3.5.2 or pylibmc 1.6.3.
    test.each([
      ['a str (flag 16)', 'h\xc3\xa9llo', 16, 'héllo'],
      ['an int (pymemcache, flag 2)', '42', 2, 42],
      ['an int (pylibmc, flag 4)', '-5', 4, -5],
      ['an int past 2^53 as a bigint', '9007199254740993', 4, 9007199254740993n],
      ['an int past 2^64 as a bigint', '18446744073709551617', 2, 18446744073709551617n],
      ['2^53 - 1 as a number', '9007199254740991', 2, Number.MAX_SAFE_INTEGER],
      ['an int memcached padded after decr', '9 ', 2, 9],
      ['a pylibmc bool, which it stores as an int', '1', 2, 1],
    ])('returns %s', (_, latin1, flags, expected) => {
      expect(codec.decode(Buffer.from(latin1, 'latin1'), flags)).toEqual(expected);
    });

    test('returns bytes (flag 0) as a Buffer that owns its memory', () => {
      const received = Buffer.from('..ab\x00..', 'latin1');
      const out = codec.decode(received.subarray(2, 5), 0) as Buffer;
      received.fill(0);
      expect(out).toEqual(Buffer.from('ab\x00', 'latin1'));
    });

    test.each([
      ['a float', '8005950a00000000000000473ff80000000000002e', 1.5],
      ['True', '8005882e', true],
      ['False', '8005892e', false],
      ['None', '80054e2e', null],
    ])('returns a pickled %s (flag 1)', (_, bytes, expected) => {
      expect(codec.decode(hex(bytes), PymemcacheFlags.PICKLE)).toEqual(expected);
    });

    test('decompresses a pylibmc value above min_compress_len (flag 8 + type)', () => {
      expect(codec.decode(hex('789c333420120000a1c207b2'), 12)).toBe(10n ** 40n);
      const text = hex('789cedc13101000000c2a0da8b6f0d0fa000008077036ce47e8c');
      expect(codec.decode(text, 24)).toBe('x'.repeat(3000));
    });

    test('returns compressed bytes (flag 8) decompressed, as a Buffer', () => {
      expect(codec.decode(deflateSync('raw'), 8)).toEqual(Buffer.from('raw'));
    });
  });

  describe('values it cannot read', () => {
    const dict = hex('8005950a000000000000007d948c0161944b01732e'); // pickle.dumps({'a': 1}, 5)

    test('throws CodecError for a pickled object', () => {
      const error = thrown(CodecError, () => codec.decode(dict, PymemcacheFlags.PICKLE));
      expect(error.code).toBe('ERR_MEMWIRE_CODEC');
      expect(error.message).toMatch(/pickled Python object/);
    });

    test("returns a pickled object's bytes with { unreadable: 'raw' }", () => {
      expect(pymemcacheCodec({ unreadable: 'raw' }).decode(dict, PymemcacheFlags.PICKLE)).toEqual(dict);
    });

    test("returns a compressed pickle's bytes decompressed with { unreadable: 'raw' }", () => {
      const out = pymemcacheCodec({ unreadable: 'raw' }).decode(deflateSync(dict), 9);
      expect(out).toEqual(dict);
    });

    test.each([[32], [18], [64], [0xffffffff]])('throws CodecError for flags %i', (flags) => {
      thrown(CodecError, () => codec.decode(Buffer.from('x'), flags));
    });

    test.each([
      ['text that is not UTF-8', Buffer.from([0xc3, 0x28]), 16],
      ['an int that is not decimal', Buffer.from('4x'), 2],
      ['an empty int', Buffer.alloc(0), 4],
      ['compressed bytes that are not zlib', Buffer.from('nope'), 24],
    ])('throws CodecError for %s', (_, data, flags) => {
      thrown(CodecError, () => codec.decode(data, flags));
    });
  });

  describe('writing what Python reads', () => {
    test.each([
      ['a str as UTF-8, flag 16', 'héllo', 16, 'h\xc3\xa9llo'],
      ['an integer as decimal, flag 2', 42, 2, '42'],
      ['a negative integer, flag 2', -7, 2, '-7'],
      ['a bigint as decimal, flag 2 (as pymemcache writes any int)', 2n ** 70n, 2, '1180591620717411303424'],
    ])('stores %s', (_, value, flags, latin1) => {
      const encoded = codec.encode(value);
      expect(encoded.flags).toBe(flags);
      expect(Buffer.from(encoded.data).toString('latin1')).toBe(latin1);
    });

    test('stores bytes as they are, flag 0', () => {
      const encoded = codec.encode(new Uint8Array([0, 13, 10, 255]));
      expect(encoded).toEqual({ data: new Uint8Array([0, 13, 10, 255]), flags: 0 });
    });

    test.each([
      ['a float', 1.5, '8002473ff80000000000002e'],
      ['an integer too large to be safe', 2 ** 60, '800247 43b0000000000000 2e'],
      ['-0', -0, '80024780000000000000002e'],
      ['true', true, '8002882e'],
      ['null', null, '80024e2e'],
    ])('stores %s as a Python pickle, flag 1', (_, value, bytes) => {
      expect(codec.encode(value)).toEqual({ data: hex(bytes), flags: 1 });
    });

    test.each([
      ['a string', 'héllo \u{1f600}'],
      ['an empty string', ''],
      ['a safe integer', Number.MAX_SAFE_INTEGER],
      ['a bigint past 2^64', 2n ** 64n + 1n],
      ['a negative bigint', -(10n ** 30n)],
      ['a float', 0.1 + 0.2],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['false', false],
      ['null', null],
    ])('round-trips %s', (_, value) => {
      expect(roundTrip(value).out).toEqual(value);
    });

    test('round-trips NaN and -0', () => {
      expect(roundTrip(Number.NaN).out).toBeNaN();
      expect(Object.is(roundTrip(-0).out, -0)).toBe(true);
    });

    test('reads a small bigint back as a number (Python has one int type)', () => {
      expect(roundTrip(5n).out).toBe(5);
    });

    test.each([
      ['an object', { a: 1 }],
      ['an array', [1]],
      ['undefined', undefined],
      ['a function', () => 1],
    ])('rejects %s with InvalidValueError', (_, value) => {
      const error = thrown(InvalidValueError, () => codec.encode(value as unknown as PymemcacheValue));
      expect(error.message).toMatch(/Python reads str, bytes, int, float, bool and None/);
    });
  });

  describe('compression', () => {
    const compressing = pymemcacheCodec({ compressThreshold: 100 });

    test('never compresses by default (Django’s PyMemcacheCache cannot read flag 8)', () => {
      expect(codec.encode('x'.repeat(100_000)).flags).toBe(16);
    });

    test('compresses a value at the threshold with zlib, adding flag 8 to its type', () => {
      const encoded = compressing.encode('é'.repeat(50));
      expect(encoded.flags).toBe(24);
      expect(inflateSync(encoded.data).toString()).toBe('é'.repeat(50));
      expect(compressing.decode(Buffer.from(encoded.data), encoded.flags)).toBe('é'.repeat(50));
    });

    test('leaves a value under the threshold alone', () => {
      expect(compressing.encode('x'.repeat(99)).flags).toBe(16);
    });

    test('compresses pickles and ints too, as pylibmc does', () => {
      expect(pymemcacheCodec({ compressThreshold: 0 }).encode(10n ** 60n).flags).toBe(10);
    });

    test('rejects a negative threshold with ConfigError', () => {
      thrown(ConfigError, () => pymemcacheCodec({ compressThreshold: -5 }));
    });
  });
});
