import { CodecError, InvalidValueError } from '../errors.js';
import { type Codec, type EncodedValue, ownBytes } from './codec.js';

/** Any value the default codec stores and returns with its type intact. */
export type Value =
  | string
  | Buffer
  | Uint8Array
  | number
  | bigint
  | boolean
  | null
  | JsonObject
  | JsonValue[];
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/**
 * The flags the default codec writes. 0 = UTF-8 text and 2 = JSON match node `memcached` and
 * memcache-client, so strings and JSON they wrote read back as such; numbers are stored as decimal
 * text so `incr`/`decr` work on them and keep their flag.
 */
export const DefaultFlags = {
  STRING: 0,
  BYTES: 1,
  JSON: 2,
  NUMBER: 3,
  BIGINT: 4,
  BOOLEAN: 5,
} as const;

const TRUE = Buffer.from('1');
const FALSE = Buffer.from('0');

function encode(value: Value): EncodedValue {
  switch (typeof value) {
    case 'string':
      return { data: value, flags: DefaultFlags.STRING };
    case 'number':
      return { data: String(value), flags: DefaultFlags.NUMBER };
    case 'bigint':
      return { data: value.toString(), flags: DefaultFlags.BIGINT };
    case 'boolean':
      return { data: value ? TRUE : FALSE, flags: DefaultFlags.BOOLEAN };
    case 'object':
      if (value instanceof Uint8Array) return { data: value, flags: DefaultFlags.BYTES };
      return { data: stringify(value), flags: DefaultFlags.JSON };
    default:
      throw new InvalidValueError(`the default codec cannot store a value of type ${typeof value}`);
  }
}

function stringify(value: object | null): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    // Circular structures and BigInt inside objects.
    throw new InvalidValueError(`value cannot be serialised as JSON: ${(cause as Error).message}`);
  }
  // JSON.stringify gives undefined (despite its type) for an object whose toJSON returns undefined.
  if (json === undefined) throw new InvalidValueError('value serialises to nothing in JSON');
  return json;
}

function decode(data: Buffer, flags: number): Value {
  switch (flags) {
    case DefaultFlags.STRING:
      // toString() without arguments is UTF-8 without the encoding lookup of toString('utf8').
      return data.toString();
    case DefaultFlags.BYTES:
      return ownBytes(data);
    case DefaultFlags.JSON:
      try {
        return JSON.parse(data.toString()) as Value;
      } catch (cause) {
        throw new CodecError('stored JSON value could not be parsed', { cause });
      }
    case DefaultFlags.NUMBER:
      return Number(data.toString('latin1'));
    case DefaultFlags.BIGINT:
      try {
        return BigInt(data.toString('latin1').trim());
      } catch (cause) {
        throw new CodecError('stored bigint value could not be parsed', { cause });
      }
    case DefaultFlags.BOOLEAN:
      return data.length === 1 && data[0] === 0x31;
    default:
      // Written by another client with its own flag meanings: hand back the bytes, never a guess.
      return ownBytes(data);
  }
}

/**
 * The default codec: strings, bytes, numbers, bigints, booleans, null and JSON-serialisable objects,
 * each returned as the type it was written with.
 *
 * @example
 * await client.set('user:1', { name: 'Ada' });
 * await client.get('user:1'); // { name: 'Ada' }
 */
export const defaultCodec: Codec<Value, Value> = { name: 'default', encode, decode };
