import { InvalidValueError } from '../errors.js';
import type { Codec, EncodedValue } from './codec.js';
import { type CompressionOptions, compressionSettings, deflateIfWorthIt, inflate } from './compression.js';
import { pickleScalar, unpickleScalar } from './pickle.js';
import {
  copyUnlessOwned,
  decodeUtf8,
  describeType,
  parseInteger,
  type UnreadablePolicy,
  unreadable,
} from './scalars.js';

/**
 * The flags of pymemcache's and pylibmc's serializers (seen on the wire from Django 3.2's
 * PyMemcacheCache, pymemcache 3.5 and pylibmc 1.6). COMPRESSED is combined with one of the others.
 */
export const PymemcacheFlags = {
  BYTES: 0,
  PICKLE: 1,
  INTEGER: 2,
  LONG: 4,
  COMPRESSED: 8,
  TEXT: 16,
} as const;

/** What the pymemcache codec stores: str, bytes, int, and (as pickles) float, bool and None. */
export type PymemcacheValue = string | Uint8Array | number | bigint | boolean | null;
/** What it returns: bytes come back as a Buffer; an int as a number when safe, else a bigint. */
export type PymemcacheResult = string | Buffer | number | bigint | boolean | null;

/** Options of {@link pymemcacheCodec}. */
export interface PymemcacheCodecOptions extends CompressionOptions {
  /**
   * A pickle of anything but a float, bool or None (a dict, a list, a Django model, a SafeString…), or
   * flags no Python client writes: `'error'` throws a CodecError, `'raw'` returns the stored bytes
   * (decompressed) as a Buffer.
   * @default 'error'
   */
  unreadable?: UnreadablePolicy | undefined;
}

const NAME = 'pymemcache';

function encodeValue(value: PymemcacheValue): EncodedValue {
  if (typeof value === 'string') return { data: value, flags: PymemcacheFlags.TEXT };
  if (value instanceof Uint8Array) return { data: value, flags: PymemcacheFlags.BYTES };
  // pymemcache writes every int, however large, as decimal text with flag 2; pylibmc uses 4; both read both.
  if (typeof value === 'bigint') return { data: value.toString(), flags: PymemcacheFlags.INTEGER };
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) {
    return { data: String(value), flags: PymemcacheFlags.INTEGER };
  }
  // Other numbers are Python floats, which (like bool and None) Python clients only ever pickle.
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return { data: pickleScalar(value), flags: PymemcacheFlags.PICKLE };
  }
  throw new InvalidValueError(
    `${NAME}: cannot store ${describeType(value)}; Python reads str, bytes, int, float, bool and None from this codec`,
  );
}

function decodeValue(data: Buffer, type: number, owned: boolean, policy: UnreadablePolicy): PymemcacheResult {
  switch (type) {
    case PymemcacheFlags.BYTES:
      return copyUnlessOwned(data, owned);
    case PymemcacheFlags.TEXT:
      return decodeUtf8(data, NAME);
    case PymemcacheFlags.INTEGER:
    case PymemcacheFlags.LONG:
      return parseInteger(data, NAME);
    case PymemcacheFlags.PICKLE: {
      const scalar = unpickleScalar(data);
      if (scalar !== undefined) return scalar.value;
      return unreadable(
        policy,
        data,
        owned,
        `${NAME}: value is a pickled Python object, which memwire does not unpickle`,
      );
    }
    default:
      return unreadable(policy, data, owned, `${NAME}: flags ${type} are not a pymemcache/pylibmc type`);
  }
}

/**
 * Values shared with Python: Django's `PyMemcacheCache` and `PyLibMCCache`, pymemcache's and pylibmc's
 * default serializers. A string is a Python `str` (flag 16), a Buffer `bytes` (0), a safe integer or a
 * bigint an `int` (2); other numbers, booleans and null are pickled the way Python pickles float, bool
 * and None (1). Objects are refused with InvalidValueError: Python would need a pickle to read them.
 * Reads undo zlib compression (flag 8, as pylibmc writes above `min_compress_len`); writes compress only
 * with `compressThreshold`, which pylibmc reads but pymemcache (so Django's PyMemcacheCache) does not.
 *
 * @example
 * const cache = createClient({
 *   codec: pymemcacheCodec(),
 *   keyFunction: djangoKeyFunction({ prefix: 'shop', version: 3 }),
 * });
 * await cache.get('greeting'); // what Django's cache.set('greeting', 'héllo') stored: 'héllo'
 */
export function pymemcacheCodec(
  options: PymemcacheCodecOptions = {},
): Codec<PymemcacheValue, PymemcacheResult> {
  const { threshold, maxInflatedSize } = compressionSettings(options, NAME);
  const policy = options.unreadable ?? 'error';
  return {
    name: NAME,
    encode(value) {
      const encoded = encodeValue(value);
      const compressed = deflateIfWorthIt(encoded.data, threshold);
      if (compressed === undefined) return encoded;
      return { data: compressed, flags: encoded.flags | PymemcacheFlags.COMPRESSED };
    },
    decode(data, flags) {
      const compressed = (flags & PymemcacheFlags.COMPRESSED) !== 0;
      const type = (flags & ~PymemcacheFlags.COMPRESSED) >>> 0;
      const bytes = compressed ? inflate(data, maxInflatedSize, NAME) : data;
      return decodeValue(bytes, type, compressed, policy);
    },
  };
}
