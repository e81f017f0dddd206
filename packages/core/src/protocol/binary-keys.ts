import { InvalidKeyError } from '../errors.js';

/**
 * memcached takes a meta command's key as base64 with the `b` flag (protocol.txt, "Meta Commands"):
 * any bytes, NUL, spaces and line ends included. The base64 token itself must fit the 250-character
 * key limit, padded (1.6.18 answers a 252-character token `CLIENT_ERROR bad command line format`, and
 * the same bytes unpadded in 250 `CLIENT_ERROR error decoding key`), so a key holds at most 186
 * bytes: 62 groups of 3 bytes, 248 characters.
 */
export const MAX_BINARY_KEY_BYTES = 186;

/**
 * A binary key as sent: `prefix`'s UTF-8 bytes then `key`'s, base64 (standard alphabet, padded, as
 * memcached decodes it). Checked first: nothing else reaches a socket.
 */
export function encodeBinaryKey(key: unknown, prefix: Uint8Array): string {
  if (!(key instanceof Uint8Array)) {
    throw new InvalidKeyError(`a binary key must be a Uint8Array (or Buffer), got ${describe(key)}`);
  }
  const length = prefix.length + key.length;
  if (key.length === 0) throw new InvalidKeyError('invalid binary key: it is empty');
  if (length > MAX_BINARY_KEY_BYTES) {
    throw new InvalidKeyError(
      `invalid binary key: it is ${length} bytes long with its keyPrefix; memcached takes at most ${MAX_BINARY_KEY_BYTES} (248 in base64)`,
    );
  }
  const bytes = prefix.length === 0 ? key : Buffer.concat([prefix, key]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
