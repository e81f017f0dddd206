import { deflateSync, inflateSync } from 'node:zlib';
import { CodecError, ConfigError } from '../errors.js';
import type { Codec, EncodedValue } from './codec.js';

/** Compression options shared by the codecs. */
export interface CompressionOptions {
  /**
   * Compress values whose stored bytes are at least this long, with zlib (the zlib format, as Python's
   * `zlib.compress` and PHP's zlib compression write it). A value that does not shrink is stored as is.
   * Reads decompress whatever the flags say, whatever this is.
   * @default undefined (never compress)
   */
  compressThreshold?: number | undefined;
  /**
   * Largest size a compressed value may inflate to; more is a CodecError, so a small poisoned item
   * cannot make a reader allocate gigabytes.
   * @default 67108864 (64 MiB)
   */
  maxInflatedSize?: number | undefined;
}

/** The compression options checked, with their defaults. */
export interface CompressionSettings {
  threshold: number;
  maxInflatedSize: number;
}

const DEFAULT_MAX_INFLATED = 64 * 1024 * 1024;

export function compressionSettings(options: CompressionOptions, codec: string): CompressionSettings {
  const threshold = options.compressThreshold ?? Number.POSITIVE_INFINITY;
  const maxInflatedSize = options.maxInflatedSize ?? DEFAULT_MAX_INFLATED;
  if (Number.isNaN(threshold) || threshold < 0) {
    throw new ConfigError(`${codec}: compressThreshold must be a number of bytes >= 0, got ${threshold}`);
  }
  if (!Number.isSafeInteger(maxInflatedSize) || maxInflatedSize < 1) {
    throw new ConfigError(`${codec}: maxInflatedSize must be a positive integer, got ${maxInflatedSize}`);
  }
  return { threshold, maxInflatedSize };
}

/** The zlib-compressed bytes of `data`, or undefined when it is under the threshold or does not shrink. */
export function deflateIfWorthIt(data: Uint8Array | string, threshold: number): Buffer | undefined {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size < threshold) return undefined;
  const compressed = deflateSync(data);
  return compressed.length < size ? compressed : undefined;
}

/** Inflates zlib-format bytes, or throws CodecError (corrupt data, or larger than `maxSize`). */
export function inflate(data: Uint8Array, maxSize: number, codec: string): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: maxSize });
  } catch (cause) {
    const tooLarge = (cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    const why = tooLarge
      ? `inflates to more than maxInflatedSize (${maxSize} bytes)`
      : 'is not valid zlib data';
    throw new CodecError(`${codec}: compressed value ${why}`, { cause });
  }
}

/** The flag bit {@link compressedCodec} sets by default: above every flag the default codec uses. */
export const COMPRESSED_FLAG = 0x100;

/** Options of {@link compressedCodec}. */
export interface CompressedCodecOptions extends CompressionOptions {
  /** The flag bit that marks a compressed value; the wrapped codec must never set it. @default 0x100 */
  flag?: number | undefined;
}

/**
 * Wraps a codec (e.g. `defaultCodec`) so values of at least `compressThreshold` bytes are stored
 * zlib-compressed with an extra flag bit, and decompressed on read. Values written without the bit read
 * as before, so it can be turned on for a cache already in use; clients without it get the compressed
 * bytes back (the default codec returns unknown flags as a Buffer).
 *
 * @example
 * createClient({ codec: compressedCodec(defaultCodec, { compressThreshold: 1024 }) });
 */
export function compressedCodec<In, Out>(
  inner: Codec<In, Out>,
  options: CompressedCodecOptions = {},
): Codec<In, Out> {
  const name = `compressed(${inner.name})`;
  const { threshold, maxInflatedSize } = compressionSettings(options, name);
  const flag = options.flag ?? COMPRESSED_FLAG;
  if (!Number.isInteger(Math.log2(flag)) || flag < 1 || flag > 0x80000000) {
    throw new ConfigError(`${name}: flag must be a single bit of the 32-bit flags, got ${flag}`);
  }
  return {
    name,
    encode(value): EncodedValue {
      const encoded = inner.encode(value);
      if ((encoded.flags & flag) !== 0) {
        throw new ConfigError(
          `${name}: ${inner.name} wrote flags ${encoded.flags}, which use the compression bit`,
        );
      }
      const compressed = deflateIfWorthIt(encoded.data, threshold);
      return compressed === undefined ? encoded : { data: compressed, flags: (encoded.flags | flag) >>> 0 };
    },
    decode(data, flags) {
      if ((flags & flag) === 0) return inner.decode(data, flags);
      return inner.decode(inflate(data, maxInflatedSize, name), (flags & ~flag) >>> 0);
    },
  };
}
