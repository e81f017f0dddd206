import { isUtf8 } from 'node:buffer';
import { CodecError, InvalidValueError } from '../errors.js';
import type { Codec, EncodedValue } from './codec.js';
import { type CompressionOptions, compressionSettings, deflateIfWorthIt, inflate } from './compression.js';
import type { JsonObject, JsonValue } from './default-codec.js';
import { fastlzDecompress } from './fastlz.js';
import {
  copyUnlessOwned,
  decodeUtf8,
  describeType,
  parseInteger,
  toJson,
  type UnreadablePolicy,
  unreadable,
} from './scalars.js';

/**
 * php-memcached 3.x flags (php_memcached.c, and seen on the wire from 3.2.0): the low nibble is the
 * type; bits 4–15 are internal (COMPRESSED plus the method); bits 16–31 are the user's
 * (`Memcached::OPT_USER_FLAGS`), ignored here.
 */
export const PhpFlags = {
  STRING: 0,
  LONG: 1,
  DOUBLE: 2,
  BOOL: 3,
  SERIALIZED: 4,
  IGBINARY: 5,
  JSON: 6,
  MSGPACK: 7,
  COMPRESSED: 16,
  ZLIB: 32,
  FASTLZ: 64,
} as const;

/** What the PHP codec stores. */
export type PhpValue = string | Uint8Array | number | bigint | boolean | null | JsonObject | JsonValue[];
/** What it returns: a PHP int as a number when safe, else a bigint; JSON as parsed. */
export type PhpResult = string | Buffer | number | bigint | boolean | null | JsonObject | JsonValue[];

/** Options of {@link phpCodec}. */
export interface PhpCodecOptions extends CompressionOptions {
  /**
   * PHP strings are bytes. `'text'` returns a string when they are valid UTF-8 and a Buffer when not;
   * `'bytes'` always returns a Buffer.
   * @default 'text'
   */
  strings?: 'text' | 'bytes' | undefined;
  /**
   * A PHP-serialized array or object, igbinary or msgpack, or a type PHP does not define: `'error'`
   * throws a CodecError, `'raw'` returns the stored bytes (decompressed) as a Buffer.
   * @default 'error'
   */
  unreadable?: UnreadablePolicy | undefined;
}

const NAME = 'php';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const SERIALIZED_NULL = 'N;';
const TYPE_NAMES: Record<number, string> = { 5: 'igbinary-serialized', 7: 'msgpack-serialized' };

function encodeValue(value: PhpValue): EncodedValue {
  if (typeof value === 'string' || value instanceof Uint8Array)
    return { data: value, flags: PhpFlags.STRING };
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) {
      // php-memcached would read it as PHP_INT_MAX (strtol saturates): refuse rather than corrupt it.
      throw new InvalidValueError(`${NAME}: ${value} does not fit a PHP int (64-bit)`);
    }
    return { data: value.toString(), flags: PhpFlags.LONG };
  }
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && !Object.is(value, -0))
      return { data: String(value), flags: PhpFlags.LONG };
    // String() gives "Infinity", "-Infinity" and "NaN", the words php-memcached reads for those.
    return { data: Object.is(value, -0) ? '-0' : String(value), flags: PhpFlags.DOUBLE };
  }
  // php-memcached reads a bool as true only when the first byte is "1", and writes false as "".
  if (typeof value === 'boolean') return { data: value ? '1' : '', flags: PhpFlags.BOOL };
  // PHP's serializer writes null as N; (its only scalar that is not stored by type).
  if (value === null) return { data: SERIALIZED_NULL, flags: PhpFlags.SERIALIZED };
  if (typeof value === 'object') return { data: toJson(value, NAME), flags: PhpFlags.JSON };
  throw new InvalidValueError(`${NAME}: cannot store ${describeType(value)}`);
}

function decompress(data: Buffer, method: number, maxSize: number): Buffer {
  // php-memcached 3 prefixes the compressed bytes with the original length, a host-order (little-endian) uint32.
  if (data.length < 4) throw new CodecError(`${NAME}: compressed value is shorter than its length prefix`);
  const size = data.readUInt32LE(0);
  if (size > maxSize) {
    throw new CodecError(
      `${NAME}: compressed value declares ${size} bytes, over maxInflatedSize (${maxSize})`,
    );
  }
  if (method === PhpFlags.FASTLZ) return fastlzDecompress(data.subarray(4), size);
  const inflated = inflate(data.subarray(4), maxSize, NAME);
  if (inflated.length !== size) {
    throw new CodecError(`${NAME}: compressed value inflated to ${inflated.length} bytes, expected ${size}`);
  }
  return inflated;
}

function parseDouble(data: Buffer): number {
  const text = data.toString('latin1').trim();
  if (text === 'Infinity' || text === '-Infinity' || text === 'NaN') return Number(text);
  // PHP writes e.g. "1.5", ".30000000000000004", "1e+300"; it would read anything else as 0, silently.
  if (!DECIMAL.test(text)) throw new CodecError(`${NAME}: stored double is not a number`);
  return Number(text);
}

function parseJson(data: Buffer): PhpResult {
  try {
    return JSON.parse(decodeUtf8(data, NAME)) as PhpResult;
  } catch (cause) {
    if (cause instanceof CodecError) throw cause;
    throw new CodecError(`${NAME}: stored JSON value could not be parsed`, { cause });
  }
}

/**
 * Values shared with PHP's `Memcached` extension (php-memcached 3.x, libmemcached-based). Strings and
 * Buffers are PHP strings (type 0), safe integers and int64 bigints PHP ints (1), other numbers floats
 * (2), booleans bools (3), null PHP's serialized `N;` (4), objects and arrays JSON (6), which PHP reads
 * as stdClass objects (or arrays with `Memcached::SERIALIZER_JSON_ARRAY`) whatever its own serializer.
 * Reads undo zlib and FastLZ compression (PHP's default); writes compress with zlib above
 * `compressThreshold`, which PHP reads whatever its `memcached.compression_type`.
 *
 * @example
 * const cache = createClient({ codec: phpCodec({ compressThreshold: 2000 }) });
 * await cache.get('visits'); // what PHP's $m->set('visits', 42) stored: 42
 */
export function phpCodec(options: PhpCodecOptions = {}): Codec<PhpValue, PhpResult> {
  const { threshold, maxInflatedSize } = compressionSettings(options, NAME);
  const policy = options.unreadable ?? 'error';
  const strings = options.strings ?? 'text';
  return {
    name: NAME,
    encode(value) {
      const encoded = encodeValue(value);
      const compressed = deflateIfWorthIt(encoded.data, threshold);
      if (compressed === undefined) return encoded;
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32LE(Buffer.byteLength(encoded.data));
      const flags = encoded.flags | PhpFlags.COMPRESSED | PhpFlags.ZLIB;
      return { data: Buffer.concat([prefix, compressed]), flags };
    },
    decode(data, flags) {
      const type = flags & 0xf;
      const internal = flags & 0xfff0;
      let bytes = data;
      if (internal !== 0) {
        const method = internal & ~PhpFlags.COMPRESSED;
        if (
          (internal & PhpFlags.COMPRESSED) === 0 ||
          (method !== PhpFlags.ZLIB && method !== PhpFlags.FASTLZ)
        ) {
          throw new CodecError(`${NAME}: flags ${flags} name a compression this codec does not know`);
        }
        bytes = decompress(data, method, maxInflatedSize);
      }
      const owned = internal !== 0;
      switch (type) {
        case PhpFlags.STRING:
          if (strings === 'text' && isUtf8(bytes)) return bytes.toString('utf8');
          return copyUnlessOwned(bytes, owned);
        case PhpFlags.LONG:
          return parseInteger(bytes, NAME);
        case PhpFlags.DOUBLE:
          return parseDouble(bytes);
        case PhpFlags.BOOL:
          return bytes.length > 0 && bytes[0] === 0x31;
        case PhpFlags.JSON:
          return parseJson(bytes);
        case PhpFlags.SERIALIZED:
          if (bytes.length === 2 && bytes.toString('latin1') === SERIALIZED_NULL) return null;
          return unreadable(
            policy,
            bytes,
            owned,
            `${NAME}: value is PHP-serialized, which memwire does not unserialize`,
          );
        default:
          return unreadable(
            policy,
            bytes,
            owned,
            `${NAME}: value is ${TYPE_NAMES[type] ?? `of PHP type ${type}`}, which memwire does not read`,
          );
      }
    },
  };
}
