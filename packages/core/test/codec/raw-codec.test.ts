import { describe, expect, test } from 'vitest';
import { rawCodec } from '../../src/codec/raw-codec.js';
import { InvalidValueError } from '../../src/errors.js';

describe('rawCodec', () => {
  test('is named "raw"', () => {
    expect(rawCodec.name).toBe('raw');
  });

  test('stores a string as UTF-8 with flags 0', () => {
    const encoded = rawCodec.encode('caf\u00e9');
    expect(encoded.flags).toBe(0);
    expect(Buffer.from(encoded.data)).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]));
  });

  test('stores bytes exactly with flags 0', () => {
    const value = new Uint8Array([0, 13, 10, 255]);
    const encoded = rawCodec.encode(value);
    expect(encoded.flags).toBe(0);
    expect([...encoded.data]).toEqual([0, 13, 10, 255]);
  });

  test.each([
    ['a number', 1],
    ['an object', { a: 1 }],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s with InvalidValueError', (_, value) => {
    let caught: unknown;
    try {
      rawCodec.encode(value as unknown as string);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidValueError);
    expect((caught as InvalidValueError).code).toBe('ERR_MEMWIRE_INVALID_VALUE');
  });

  test('returns every value as a Buffer, whatever its flags', () => {
    for (const flags of [0, 1, 2, 16, 0xffffffff]) {
      const out = rawCodec.decode(Buffer.from('{"a":1}'), flags);
      expect(Buffer.isBuffer(out)).toBe(true);
      expect(out.toString()).toBe('{"a":1}');
    }
  });

  test('returns a copy that does not share memory with the received buffer', () => {
    const received = Buffer.from('--abc--');
    const out = rawCodec.decode(received.subarray(2, 5), 0);
    received.fill(0);
    expect(out.toString()).toBe('abc');
    expect(out.buffer).not.toBe(received.buffer);
  });
});
