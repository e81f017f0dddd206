/** What a codec produces for the wire: the value's bytes and the 32-bit flags stored beside them. */
export interface EncodedValue {
  /** The bytes, or a string to be stored as UTF-8 (written straight into the command, no copy). */
  data: Uint8Array | string;
  flags: number;
}

/**
 * Turns values into bytes + flags and back. The flags record the value's type so a read returns what
 * was written; which flag means what is a per-deployment profile, since clients in other languages
 * disagree (see the codec docs in the README).
 *
 * @typeParam In - what `set` accepts.
 * @typeParam Out - what `get` returns.
 */
export interface Codec<In = unknown, Out = In> {
  /** A short name for errors and diagnostics. */
  readonly name: string;
  /** Throws {@link InvalidValueError} for a value it cannot store. */
  encode(value: In): EncodedValue;
  /**
   * `data` may share memory with a network buffer: copy it if you return bytes.
   * Throws {@link CodecError} for bytes it cannot read.
   */
  decode(data: Buffer, flags: number): Out;
}

/** A copy of `data` that owns its memory (so a returned Buffer does not pin a 64 KiB socket chunk). */
export function ownBytes(data: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}

/** A Uint8Array as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
