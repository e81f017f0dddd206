import { CodecError } from '../errors.js';

/** Level 2 matches farther than this carry an extra 16-bit distance (fastlz.c, MAX_L2_DISTANCE). */
const MAX_L2_DISTANCE = 8191;

/**
 * Decompresses FastLZ (levels 1 and 2; the level is the top 3 bits of the first byte), php-memcached's
 * default compression. `size` is the length the writer recorded; anything that does not decode to
 * exactly that many bytes is a CodecError. Format: fastlz.c by Ariya Hidayat (MIT).
 */
export function fastlzDecompress(input: Uint8Array, size: number): Buffer {
  const corrupt = (why: string) => new CodecError(`php: FastLZ-compressed value is corrupt: ${why}`);
  if (input.length === 0) throw corrupt('no data');
  const level = (input[0]! >> 5) + 1;
  if (level > 2) throw corrupt(`unknown level ${level}`);
  const output = Buffer.allocUnsafe(size);
  let ip = 0;
  let op = 0;
  const next = (): number => {
    if (ip >= input.length) throw corrupt('ends inside an instruction');
    return input[ip++]!;
  };
  let ctrl = next() & 31;
  for (;;) {
    if (ctrl < 32) {
      // A literal run of ctrl + 1 bytes.
      const end = ip + ctrl + 1;
      if (end > input.length || op + ctrl + 1 > size) throw corrupt('literal run out of bounds');
      output.set(input.subarray(ip, end), op);
      op += ctrl + 1;
      ip = end;
    } else {
      // A match: copy len bytes from earlier output; top 3 bits = len - 2, low 5 = high bits of distance.
      let len = (ctrl >> 5) - 1;
      const high = (ctrl & 31) << 8;
      if (len === 6) {
        if (level === 1) len += next();
        else for (let code = 255; code === 255; len += code) code = next();
      }
      const low = next();
      let ref = op - high - low - 1;
      if (level === 2 && low === 255 && high === 31 << 8) {
        ref = op - ((next() << 8) | next()) - MAX_L2_DISTANCE - 1;
      }
      len += 3;
      if (ref < 0 || op + len > size) throw corrupt('match out of bounds');
      // Byte by byte: a match may overlap the bytes it is producing (a run).
      for (let end = op + len; op < end; ) output[op++] = output[ref++]!;
    }
    if (ip >= input.length) break;
    ctrl = input[ip++]!;
  }
  if (op !== size) throw corrupt(`decoded ${op} bytes, expected ${size}`);
  return output;
}
