import { createHash } from 'node:crypto';
import { InvalidKeyError } from '../errors.js';

/** memcached's key length limit in bytes (protocol.txt: "currently 250 characters"). */
export const MAX_KEY_BYTES = 250;

/**
 * Why `key` cannot be sent to memcached, or `undefined` when it can.
 *
 * memcached splits a command line on spaces and ends it at `\r\n`, so a key holding whitespace or a
 * control character would inject a second command or desynchronise every later reply (a 251-byte
 * key is answered `CLIENT_ERROR` and its data line is then read as a command). Django rejects the same
 * set: `[\x00-\x20\x7f]`. Beyond ASCII we also refuse C1 controls, Unicode whitespace and lone
 * surrogates (which would turn into U+FFFD and collide with other keys).
 */
// String#isWellFormed is Node 20+, but not in the ES2023 lib we type against.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function keyProblem(key: string): string | undefined {
  const problem = characterProblem(key);
  if (problem !== undefined) return problem;
  if (key.length === 0) return 'is empty';
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most keys are short enough not to be measured.
  if (key.length * 3 <= MAX_KEY_BYTES) return undefined;
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) return `is ${bytes} bytes long; memcached allows at most ${MAX_KEY_BYTES}`;
  return undefined;
}

/** Why `key` holds a character memcached cannot take, whatever its length. */
function characterProblem(key: string): string | undefined {
  let ascii = true;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return `contains ${describeChar(c)} at index ${i}`;
    if (c > 0x7f) ascii = false;
  }
  if (!ascii) {
    const bad = /[\u0080-\u009f\s]/u.exec(key);
    if (bad !== null) return `contains ${describeChar(bad[0].charCodeAt(0))} at index ${bad.index}`;
    if (LONE_SURROGATE.test(key)) return 'contains a lone UTF-16 surrogate';
  }
  return undefined;
}

function describeChar(code: number): string {
  const names: Record<number, string> = { 32: 'a space', 13: 'a carriage return', 10: 'a line feed' };
  return names[code] ?? `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export interface KeyMapperOptions {
  keyPrefix: string;
  keyFunction: ((key: string) => string) | undefined;
  hashLongKeys: boolean;
}

/**
 * Builds the function that turns a caller's key into the key sent on the wire:
 * `keyPrefix + keyFunction(key)`, checked, and, with `hashLongKeys`, an over-long key replaced by
 * `keyPrefix + "sha256:" + base64url(sha256(whole key))` (a stable 58-byte form; adapters that build
 * keys from URLs need it). Throws {@link InvalidKeyError}: nothing with a bad key reaches a socket.
 */
export function createKeyMapper(options: KeyMapperOptions): (key: string) => string {
  const { keyPrefix, keyFunction, hashLongKeys } = options;
  return (key: string): string => {
    if (typeof key !== 'string') {
      throw new InvalidKeyError(`key must be a string, got ${key === null ? 'null' : typeof key}`);
    }
    const wire = keyPrefix + (keyFunction === undefined ? key : keyFunction(key));
    const problem = keyProblem(wire);
    if (problem === undefined) return wire;
    // Only length is cured by hashing; whitespace or control characters anywhere are still refused.
    if (hashLongKeys && wire !== '' && characterProblem(wire) === undefined) {
      const hashed = `${keyPrefix}sha256:${createHash('sha256').update(wire).digest('base64url')}`;
      if (keyProblem(hashed) === undefined) return hashed;
    }
    throw new InvalidKeyError(`invalid key ${JSON.stringify(truncate(wire))}: it ${problem}`);
  };
}

function truncate(key: string): string {
  return key.length > 60 ? `${key.slice(0, 60)}…` : key;
}
