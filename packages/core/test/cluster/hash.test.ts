import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hashFunction, md5Hash, oneAtATimeHash } from '../../src/cluster/hash.js';

/**
 * Bob Jenkins' one-at-a-time hash, written the way his description reads, with BigInt modulo 2^32 so
 * it shares no tricks with the code under test. `signedBytes` adds each byte as libhashkit does on
 * x86-64, through a signed `char` (0xc3 adds 0xffffffc3); without it, bytes are added as published.
 */
function referenceOneAtATime(bytes: Uint8Array, signedBytes: boolean): number {
  const mask = 0xffffffffn;
  let hash = 0n;
  for (const byte of bytes) {
    const added = signedBytes && byte >= 0x80 ? BigInt(byte) + 0xffffff00n : BigInt(byte);
    hash = (hash + added) & mask;
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
    // Both from the one-at-a-time article's test vectors; libmemcached 1.1.4 gives the same.
    expect(oneAtATimeHash('a')).toBe(0xca2e9442);
    expect(oneAtATimeHash('The quick brown fox jumps over the lazy dog')).toBe(0x519e91f5);
  });

  test('gives what libmemcached 1.1.4 on x86-64 gives for non-ASCII keys', () => {
    // memcached_generate_hash_value(key, len, MEMCACHED_HASH_DEFAULT), called through ctypes.
    expect(oneAtATimeHash('\u00e9')).toBe(0x019148ae);
    expect(oneAtATimeHash('\u043a\u043b\u044e\u0447')).toBe(0xfbca080a);
    expect(oneAtATimeHash('\u{1f600}')).toBe(0x97a64f98);
    expect(oneAtATimeHash('na\u00efve caf\u00e9')).toBe(0x511ac286);
    expect(oneAtATimeHash('key:\u00fc')).toBe(0x55dc8ee2);
  });

  test('adds bytes over 0x7f sign-extended, as libhashkit does through a signed char', () => {
    const bytes = Buffer.from('\u00e9');
    expect(oneAtATimeHash('\u00e9')).toBe(referenceOneAtATime(bytes, true));
    expect(oneAtATimeHash('\u00e9')).not.toBe(referenceOneAtATime(bytes, false));
  });

  test('hashes the UTF-8 bytes of the key', () => {
    expect(oneAtATimeHash('\u00e9')).toBe(referenceOneAtATime(new Uint8Array([0xc3, 0xa9]), true));
    expect(oneAtATimeHash('\u00e9')).not.toBe(referenceOneAtATime(new Uint8Array([0xe9]), true));
  });

  test('matches the reference on any string, as an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (text) => {
        const hash = oneAtATimeHash(text);
        expect(hash).toBe(referenceOneAtATime(Buffer.from(text), true));
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

  test('gives what libmemcached 1.1.4 gives for non-ASCII keys', () => {
    // memcached_generate_hash_value(key, len, MEMCACHED_HASH_MD5): MD5 has no signed-char quirk.
    expect(md5Hash('\u00e9')).toBe(0x97cddd66);
    expect(md5Hash('\u043a\u043b\u044e\u0447')).toBe(0x667b65c3);
    expect(md5Hash('\u{1f600}')).toBe(0xc3ea022a);
  });

  // md5Hash is written out (md5.ts) rather than a node:crypto Hash per key; node:crypto is the reference.
  const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
  const reference = (text: string) => createHash('md5').update(text).digest().readUInt32LE(0);

  test('matches node:crypto at every length around the 64-byte block edges, and for texts past its shared buffer', () => {
    for (let length = 0; length <= 300; length++) {
      const text = 'k'.repeat(length);
      expect(md5Hash(text), `${length} bytes`).toBe(reference(text));
    }
    // Multi-byte UTF-8 that lands the padding on each side of a block edge, and lone surrogates
    // (both sides encode them as U+FFFD).
    for (const text of [
      '\u00e9'.repeat(27) + 'a',
      '\u00e9'.repeat(28),
      '\u4e2d'.repeat(200),
      'a\ud800b',
      '\udfff',
      // 317 UTF-16 units are the most the shared buffer takes; from 318, a buffer of their own.
      '\u00e9'.repeat(317),
      '\u00e9'.repeat(318),
      // Longer than any memcached key.
      'k'.repeat(400),
      '\u00e9'.repeat(2000),
    ])
      expect(md5Hash(text)).toBe(reference(text));
  });

  test('matches node:crypto on any string, as an unsigned 32-bit integer', () => {
    fc.assert(
      // Any UTF-16 units, lone surrogates included ('binary' units never produce half a pair).
      fc.property(fc.string({ unit: utf16Unit, maxLength: 400 }), (text) => {
        const hash = md5Hash(text);
        expect(hash).toBe(reference(text));
        expect(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hashFunction', () => {
  test('names each key hash', () => {
    expect(hashFunction('one-at-a-time')).toBe(oneAtATimeHash);
    expect(hashFunction('md5')).toBe(md5Hash);
  });
});
