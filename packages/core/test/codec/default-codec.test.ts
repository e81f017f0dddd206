import { describe, expect, test } from 'vitest';
import { DefaultFlags, defaultCodec, type Value } from '../../src/codec/default-codec.js';
import { CodecError, InvalidValueError } from '../../src/errors.js';
import { encodeStorage, wireBytes } from '../../src/protocol/encoder.js';

/** Encodes, copies the bytes as the network would deliver them, and decodes. */
function roundTrip(value: Value): { flags: number; out: Value } {
  const encoded = defaultCodec.encode(value);
  const out = defaultCodec.decode(Buffer.from(encoded.data), encoded.flags);
  return { flags: encoded.flags, out };
}

function thrown<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}

describe('defaultCodec', () => {
  test('is named "default"', () => {
    expect(defaultCodec.name).toBe('default');
  });

  test('uses the documented flag numbers', () => {
    expect(DefaultFlags).toEqual({ STRING: 0, BYTES: 1, JSON: 2, NUMBER: 3, BIGINT: 4, BOOLEAN: 5 });
  });

  describe('strings', () => {
    test.each([
      ['an ASCII string', 'hello'],
      ['an empty string', ''],
      ['non-ASCII text', 'caf\u00e9 \u65e5\u672c \u{1f600}'],
      ['text holding \\r\\n and NUL', 'a\r\nEND\r\n\0b'],
      ['text that looks like JSON', '{"a":1}'],
      ['text that looks like a number', '42'],
    ])('returns %s as the same string, flagged STRING', (_, value) => {
      expect(roundTrip(value)).toEqual({ flags: DefaultFlags.STRING, out: value });
    });

    test('stores strings as UTF-8 on the wire', () => {
      const { data, flags } = defaultCodec.encode('\u00e9');
      expect(wireBytes(encodeStorage('set', 'k', flags, 0, data))).toEqual(
        Buffer.from('set k 0 0 2\r\n\xc3\xa9\r\n', 'latin1'),
      );
    });
  });

  describe('bytes', () => {
    test('returns a Buffer holding \\r\\n and NUL byte for byte, flagged BYTES', () => {
      const value = Buffer.from('a\r\n\0\xffb', 'latin1');
      const { flags, out } = roundTrip(value);
      expect(flags).toBe(DefaultFlags.BYTES);
      expect(Buffer.isBuffer(out)).toBe(true);
      expect(out).toEqual(value);
    });

    test('stores a Uint8Array and returns its bytes as a Buffer', () => {
      const value = new Uint8Array([0, 13, 10, 255, 1]);
      const { flags, out } = roundTrip(value);
      expect(flags).toBe(DefaultFlags.BYTES);
      expect(Buffer.isBuffer(out)).toBe(true);
      expect([...(out as Buffer)]).toEqual([0, 13, 10, 255, 1]);
    });

    test('stores an empty Buffer', () => {
      expect(roundTrip(Buffer.alloc(0))).toEqual({ flags: DefaultFlags.BYTES, out: Buffer.alloc(0) });
    });

    test('returns bytes that do not share memory with the received buffer', () => {
      const received = Buffer.from('xxabcxx');
      const view = received.subarray(2, 5);
      const out = defaultCodec.decode(view, DefaultFlags.BYTES) as Buffer;
      received.fill(0x7a);
      expect(out.toString()).toBe('abc');
      expect(out.buffer).not.toBe(received.buffer);
    });
  });

  describe('numbers', () => {
    test.each([
      ['zero', 0],
      ['a positive integer', 42],
      ['a negative integer', -17],
      ['a float', Math.PI],
      ['a float that is not exact in binary', 0.1 + 0.2],
      ['a negative float', -2.5e-8],
      ['the largest safe integer', Number.MAX_SAFE_INTEGER],
      ['the largest double', Number.MAX_VALUE],
      ['Infinity', Number.POSITIVE_INFINITY],
    ])('returns %s as the same number, flagged NUMBER', (_, value) => {
      expect(roundTrip(value)).toEqual({ flags: DefaultFlags.NUMBER, out: value });
    });

    test('stores numbers as decimal text, so incr and decr work on them', () => {
      expect(defaultCodec.encode(42).data.toString()).toBe('42');
    });

    test('reads a number memcached rewrote after incr, with trailing spaces', () => {
      // memcached keeps the old length after a decr shrinks a number ("10" -> decr 1 -> "9 ").
      expect(defaultCodec.decode(Buffer.from('9 '), DefaultFlags.NUMBER)).toBe(9);
    });
  });

  describe('bigints', () => {
    test.each([
      ['zero', 0n],
      ['a negative bigint', -12345678901234567890n],
      ['a bigint beyond 2^64', 2n ** 64n + 1n],
      ['a bigint far beyond 2^64', 3n ** 200n],
    ])('returns %s as the same bigint, flagged BIGINT', (_, value) => {
      expect(roundTrip(value)).toEqual({ flags: DefaultFlags.BIGINT, out: value });
    });

    test('rejects stored text that is not an integer with CodecError', () => {
      const error = thrown(CodecError, () => defaultCodec.decode(Buffer.from('12.5'), DefaultFlags.BIGINT));
      expect(error.code).toBe('ERR_MEMWIRE_CODEC');
    });
  });

  describe('booleans', () => {
    test('returns true and false, flagged BOOLEAN', () => {
      expect(roundTrip(true)).toEqual({ flags: DefaultFlags.BOOLEAN, out: true });
      expect(roundTrip(false)).toEqual({ flags: DefaultFlags.BOOLEAN, out: false });
    });

    test('stores them as "1" and "0"', () => {
      expect(defaultCodec.encode(true).data.toString()).toBe('1');
      expect(defaultCodec.encode(false).data.toString()).toBe('0');
    });
  });

  describe('null and JSON', () => {
    test('returns null as null, flagged JSON', () => {
      expect(roundTrip(null)).toEqual({ flags: DefaultFlags.JSON, out: null });
    });

    test('returns a nested object unchanged, flagged JSON', () => {
      const value = {
        name: 'Ada',
        tags: ['a', 'b'],
        nested: { n: 1.5, ok: true, none: null, e: '\u00e9\r\n' },
      };
      expect(roundTrip(value)).toEqual({ flags: DefaultFlags.JSON, out: value });
    });

    test('returns arrays unchanged, flagged JSON', () => {
      expect(roundTrip([])).toEqual({ flags: DefaultFlags.JSON, out: [] });
      expect(roundTrip([1, 'two', [3], { four: 4 }, null])).toEqual({
        flags: DefaultFlags.JSON,
        out: [1, 'two', [3], { four: 4 }, null],
      });
    });

    test('rejects stored bytes that are not JSON with CodecError', () => {
      const error = thrown(CodecError, () => defaultCodec.decode(Buffer.from('{"a":'), DefaultFlags.JSON));
      expect(error.code).toBe('ERR_MEMWIRE_CODEC');
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });
  });

  describe('values it cannot store', () => {
    test.each([
      ['undefined', undefined],
      ['a function', () => 1],
      ['a symbol', Symbol('s')],
    ])('rejects %s with InvalidValueError', (_, value) => {
      const error = thrown(InvalidValueError, () => defaultCodec.encode(value as unknown as Value));
      expect(error.code).toBe('ERR_MEMWIRE_INVALID_VALUE');
    });

    test('rejects a circular object with InvalidValueError', () => {
      const value: Record<string, unknown> = { a: 1 };
      value['self'] = value;
      const error = thrown(InvalidValueError, () => defaultCodec.encode(value as Value));
      expect(error.code).toBe('ERR_MEMWIRE_INVALID_VALUE');
    });

    test('rejects an object holding a bigint with InvalidValueError', () => {
      thrown(InvalidValueError, () => defaultCodec.encode({ n: 1n } as unknown as Value));
    });

    test('rejects an object whose toJSON gives undefined with InvalidValueError', () => {
      thrown(InvalidValueError, () => defaultCodec.encode({ toJSON: () => undefined } as unknown as Value));
    });
  });

  describe('flags it does not know', () => {
    test.each([6, 16, 0xffffffff])('returns the raw bytes for flags %i', (flags) => {
      const out = defaultCodec.decode(Buffer.from('\x80\x04K.', 'latin1'), flags);
      expect(Buffer.isBuffer(out)).toBe(true);
      expect(out).toEqual(Buffer.from('\x80\x04K.', 'latin1'));
    });

    test('returns a copy that does not share memory with the received buffer', () => {
      const received = Buffer.from('..raw..');
      const out = defaultCodec.decode(received.subarray(2, 5), 99) as Buffer;
      received.fill(0);
      expect(out.toString()).toBe('raw');
      expect(out.buffer).not.toBe(received.buffer);
    });
  });
});
