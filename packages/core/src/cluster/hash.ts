import type { KeyHash } from '../config/options.js';
import { md5FirstWord } from './md5.js';

/** A 32-bit key hash, as libhashkit computes it over the key's UTF-8 bytes. */
export type HashFunction = (text: string) => number;

/**
 * libhashkit's MD5 hash (MEMCACHED_HASH_MD5, md5.cc): the first four bytes of MD5, little-endian.
 * Also the key hash of weighted ketama, which sets it (libmemcached behavior.cc, KETAMA_WEIGHTED).
 */
export function md5Hash(text: string): number {
  return md5FirstWord(text);
}

/**
 * libhashkit's default hash (MEMCACHED_HASH_DEFAULT, one_at_a_time.cc): Jenkins one-at-a-time, with
 * one twist that decides where non-ASCII keys go. libhashkit reads the key through a `const char *`
 * and adds `(uint32_t) *ptr`; `char` is signed on x86-64, so a byte of 0x80 or more is added
 * sign-extended (0xc3 adds 0xffffffc3), not as published. Checked against libmemcached 1.1.4
 * (Debian bookworm, x86-64) on thousands of UTF-8 keys. Builds where `char` is unsigned (aarch64)
 * place non-ASCII keys differently from x86-64 builds; we match x86-64.
 */
export function oneAtATimeHash(text: string): number {
  let hash = 0;
  // ASCII, the usual key: each UTF-16 unit is its one UTF-8 byte, and no Buffer is allocated.
  let i = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) break;
    hash = addByte(hash, code);
  }
  if (i < text.length) {
    hash = 0;
    for (const byte of Buffer.from(text)) hash = addByte(hash, (byte << 24) >> 24);
  }
  hash = (hash + (hash << 3)) | 0;
  hash ^= hash >>> 11;
  hash = (hash + (hash << 15)) | 0;
  return hash >>> 0;
}

/** One step of one-at-a-time over a byte (already sign-extended where libhashkit does it). */
function addByte(hash: number, byte: number): number {
  let next = (hash + byte) | 0;
  next = (next + (next << 10)) | 0;
  return next ^ (next >>> 6);
}

export function hashFunction(name: KeyHash): HashFunction {
  return name === 'md5' ? md5Hash : oneAtATimeHash;
}
