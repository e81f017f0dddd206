import { createHash } from 'node:crypto';

/** libmemcached's key hash for ketama: the first four bytes of MD5, little-endian. */
export function md5Hash(text: string): number {
  return createHash('md5').update(text).digest().readUInt32LE(0);
}

/** libmemcached's default hash (MEMCACHED_HASH_DEFAULT): Jenkins one-at-a-time over the key's bytes. */
export function oneAtATimeHash(text: string): number {
  const bytes = Buffer.from(text);
  let hash = 0;
  for (const byte of bytes) {
    hash = (hash + byte) | 0;
    hash = (hash + (hash << 10)) | 0;
    hash ^= hash >>> 6;
  }
  hash = (hash + (hash << 3)) | 0;
  hash ^= hash >>> 11;
  hash = (hash + (hash << 15)) | 0;
  return hash >>> 0;
}
