import { deflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { COMPRESSED_FLAG, compressedCodec } from '../../src/codec/compression.js';
import { DefaultFlags, defaultCodec } from '../../src/codec/default-codec.js';
import { rawCodec } from '../../src/codec/raw-codec.js';
import { CodecError, ConfigError } from '../../src/errors.js';
import { thrown } from './helpers.js';

describe('compressedCodec', () => {
  const codec = compressedCodec(defaultCodec, { compressThreshold: 100 });

  test('is named after the codec it wraps', () => {
    expect(codec.name).toBe('compressed(default)');
  });

  test('stores a value under the threshold as the wrapped codec does', () => {
    expect(codec.encode('x'.repeat(99))).toEqual(defaultCodec.encode('x'.repeat(99)));
  });

  test('compresses a value at the threshold with zlib and adds the flag bit', () => {
    const value = { text: 'abc'.repeat(100) };
    const encoded = codec.encode(value);
    expect(encoded.flags).toBe(DefaultFlags.JSON | COMPRESSED_FLAG);
    expect(Buffer.from(encoded.data).subarray(0, 1)).toEqual(Buffer.from([0x78])); // zlib header
    expect(codec.decode(Buffer.from(encoded.data), encoded.flags)).toEqual(value);
  });

  test('stores a value that does not shrink uncompressed', () => {
    const noise = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 7919) % 251));
    expect(codec.encode(noise).flags).toBe(DefaultFlags.BYTES);
  });

  test('reads values written without compression', () => {
    expect(codec.decode(Buffer.from('plain'), DefaultFlags.STRING)).toBe('plain');
  });

  test('uses the flag bit it is given', () => {
    const custom = compressedCodec(rawCodec, { compressThreshold: 0, flag: 1 << 20 });
    const encoded = custom.encode('y'.repeat(500));
    expect(encoded.flags).toBe(1 << 20);
    expect(custom.decode(Buffer.from(encoded.data), encoded.flags).toString()).toBe('y'.repeat(500));
  });

  test('throws CodecError for a flagged value that is not zlib data', () => {
    const error = thrown(CodecError, () => codec.decode(Buffer.from('nope'), COMPRESSED_FLAG));
    expect(error.message).toMatch(/not valid zlib data/);
  });

  test('throws CodecError instead of inflating past maxInflatedSize', () => {
    const small = compressedCodec(defaultCodec, { maxInflatedSize: 1000 });
    const bomb = deflateSync(Buffer.alloc(100_000));
    const error = thrown(CodecError, () => small.decode(bomb, COMPRESSED_FLAG | DefaultFlags.BYTES));
    expect(error.message).toMatch(/maxInflatedSize \(1000 bytes\)/);
  });

  test.each([
    ['a negative threshold', { compressThreshold: -1 }],
    ['a NaN threshold', { compressThreshold: Number.NaN }],
    ['a flag of two bits', { flag: 3 }],
    ['a flag of zero', { flag: 0 }],
    ['a maxInflatedSize of zero', { maxInflatedSize: 0 }],
  ])('rejects %s with ConfigError', (_, options) => {
    thrown(ConfigError, () => compressedCodec(defaultCodec, options));
  });

  test('rejects a wrapped codec that writes the flag bit itself', () => {
    const clash = compressedCodec(defaultCodec, { flag: 4 });
    thrown(ConfigError, () => clash.encode(12n)); // the default codec writes bigints with flags 4
  });
});
