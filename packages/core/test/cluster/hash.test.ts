import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { md5Hash, oneAtATimeHash } from '../../src/cluster/hash.js';

/**
 * Bob Jenkins' one-at-a-time hash, written the way his description reads: unsigned 32-bit
 * arithmetic, done here with BigInt modulo 2^32 so it shares no tricks with the code under test.
 */
function referenceOneAtATime(bytes: Uint8Array): number {
  const mask = 0xffffffffn;
  let hash = 0n;
  for (const byte of bytes) {
    hash = (hash + BigInt(byte)) & mask;
    hash = (hash + (hash << 10n)) & mask;
    hash ^= hash >> 6n;
  }
  hash = (hash + (hash << 3n)) & mask;
  hash ^= hash >> 11n;
  hash = (hash + (hash << 15n)) & mask;
  return Number(hash);
}

describe('oneAtATimeHash', () => {
  test('matches the published values for "a" and the quick brown fox', () => {
    // Both from the one-at-a-time article's test vectors.
    expect(oneAtATimeHash('a')).toBe(0xca2e9442);
    expect(oneAtATimeHash('The quick brown fox jumps over the lazy dog')).toBe(0x519e91f5);
  });

  test('matches the reference implementation on known strings', () => {
    for (const text of ['', 'a', 'hello world', 'user:1', '\u00e9', '\u{1f600}']) {
      expect(oneAtATimeHash(text), text).toBe(referenceOneAtATime(Buffer.from(text)));
    }
  });

  test('hashes the UTF-8 bytes of the key', () => {
    expect(oneAtATimeHash('\u00e9')).toBe(referenceOneAtATime(new Uint8Array([0xc3, 0xa9])));
    expect(oneAtATimeHash('\u00e9')).not.toBe(referenceOneAtATime(new Uint8Array([0xe9])));
  });

  test('matches the reference implementation on any string, as an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (text) => {
        const hash = oneAtATimeHash(text);
        expect(hash).toBe(referenceOneAtATime(Buffer.from(text)));
        expect(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('md5Hash', () => {
  test('is the first four bytes of MD5, little-endian', () => {
    // MD5("") = d41d8cd9 8f00b204…, MD5("a") = 0cc175b9 c0f1b6a8…
    expect(md5Hash('')).toBe(0xd98c1dd4);
    expect(md5Hash('a')).toBe(0xb975c10c);
  });
});
