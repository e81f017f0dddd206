import { CodecError, InvalidValueError } from '../errors.js';
import { ownBytes } from './codec.js';

/** What a profile codec does with a value it cannot decode (a pickle, a PHP-serialized object…). */
export type UnreadablePolicy = 'error' | 'raw';

const INTEGER = /^[-+]?\d+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A decimal integer as stored by Python and PHP clients: a number when it is safe, else a bigint.
 * Spaces around it are allowed: memcached pads a number that `decr` made shorter ("10" → "9 ").
 */
export function parseInteger(data: Buffer, codec: string): number | bigint {
  const text = data.toString('latin1').trim();
  if (!INTEGER.test(text)) throw new CodecError(`${codec}: stored integer is not a decimal integer`);
  const value = BigInt(text);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** UTF-8 text, or CodecError for bytes that are not UTF-8 (never replacement characters). */
export function decodeUtf8(data: Buffer, codec: string): string {
  try {
    return utf8.decode(data);
  } catch (cause) {
    throw new CodecError(`${codec}: stored text is not valid UTF-8`, { cause });
  }
}

/** The stored bytes as a Buffer the caller owns; `owned` says whether `data` already is one (inflated). */
export function copyUnlessOwned(data: Buffer, owned: boolean): Buffer {
  return owned ? data : ownBytes(data);
}

/** Applies the policy to a value the codec cannot read: a CodecError, or its bytes. */
export function unreadable(policy: UnreadablePolicy, data: Buffer, owned: boolean, why: string): Buffer {
  if (policy === 'raw') return copyUnlessOwned(data, owned);
  throw new CodecError(`${why}; pass { unreadable: 'raw' } to get its bytes instead`);
}

/** JSON text for an object or array, or InvalidValueError (circular, bigint inside, toJSON → undefined). */
export function toJson(value: object, codec: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new InvalidValueError(`${codec}: value cannot be serialised as JSON: ${(cause as Error).message}`);
  }
  if (json === undefined) throw new InvalidValueError(`${codec}: value serialises to nothing in JSON`);
  return json;
}

/** A short description of a value's type for error messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a value of type ${typeof value}`;
}
