import { ProtocolError } from '../errors.js';

/**
 * A streaming parser for memcached text-protocol replies (protocol.txt). It knows nothing of
 * sockets or commands: it turns bytes into two kinds of items and hands them to a sink, in order.
 *
 * - `VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n` becomes one `onValue` call. The data block is
 *   read by its declared length, never scanned for `\r\n`: values are bytes, and a `\r\n` or NUL
 *   inside them is data (node `memcached` corrupted values by scanning).
 * - A meta command's `VA <bytes> <flags>*\r\n<data>\r\n` becomes one `onMetaValue` call, read the same way.
 * - Every other line (`STORED`, `END`, `STAT …`, `VERSION …`, a number, `SERVER_ERROR …`, the meta
 *   `HD`/`EN`/`NS`/`MN` …) becomes one `onLine` call without its `\r\n`; the command waiting for it
 *   decides what it means.
 *
 * Anything that cannot be a reply (a bare `\n`, a malformed VALUE header, a data block not followed by
 * `\r\n`, a line longer than `maxLineLength`) throws a {@link ProtocolError}; the caller must then reset
 * the connection, because every later reply would be matched to the wrong command.
 */
export interface ReplySink {
  onLine(line: string): void;
  /**
   * `data` may be a view into a received chunk: it is never overwritten, but it shares memory with
   * the chunk, so copy it before handing it to users who may keep it.
   */
  onValue(key: string, flags: number, data: Buffer, cas: string | undefined): void;
  /** A meta `VA` reply: its return flags as sent (`'t30 c7 W'`, maybe empty) and its data (a view, as above). */
  onMetaValue(flags: string, data: Buffer): void;
}

export interface ReplyParserOptions {
  /** Longest reply line accepted, `\r\n` excluded. Real lines are short; garbage is not. @default 8192 */
  maxLineLength?: number;
  /** Largest data block accepted; memcached's own item size ceiling is 1 GiB. @default 1073741824 */
  maxValueLength?: number;
}

/**
 * Data blocks up to this size are read into one buffer of their declared size; larger ones are kept
 * as the chunks that carry them and joined when the last byte arrives, so memory follows the bytes
 * received, never the length a (possibly hostile) header declares.
 */
const PREALLOCATE_LIMIT = 64 * 1024;
/** A cas unique is a 64-bit unsigned integer (protocol.txt, "gets"): at most 20 digits. */
const MAX_CAS = 2n ** 64n - 1n;
const MAX_CAS_DIGITS = 20;

// Buffer#latin1Slice is what toString('latin1', …) calls after resolving its encoding argument: Node
// has it on every Buffer, undocumented; a runtime without it gets toString.
const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (buf, start, end) =>
        (buf as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
// "VALUE " as bytes, compared without making a string of every line.
const VALUE_PREFIX = [0x56, 0x41, 0x4c, 0x55, 0x45, 0x20] as const;
// "CONFIG ": AWS ElastiCache answers `config get cluster` with `CONFIG cluster 0 <bytes>` and a data
// block shaped exactly like a VALUE's.
const CONFIG_PREFIX = [0x43, 0x4f, 0x4e, 0x46, 0x49, 0x47, 0x20] as const;
// "VA ": a meta command's value (mg, ma with `v`).
const VA_PREFIX = [0x56, 0x41, 0x20] as const;

interface PendingValue {
  /** The return flags of a meta `VA`; undefined for a classic VALUE. */
  meta: string | undefined;
  key: string;
  flags: number;
  cas: string | undefined;
  /** Declared data length plus its trailing \r\n. */
  total: number;
  /** A buffer of `total` bytes (small blocks), or undefined while collecting `parts`. */
  buffer: Buffer | undefined;
  /** Views of the received chunks holding the block so far (large blocks). */
  parts: Buffer[];
  filled: number;
}

export class ReplyParser {
  private readonly sink: ReplySink;
  private readonly maxLineLength: number;
  private readonly maxValueLength: number;
  /** Bytes of a line whose `\n` has not arrived yet. */
  private partialLine: Buffer | undefined;
  /** A data block that spans chunks. */
  private pending: PendingValue | undefined;

  constructor(sink: ReplySink, options: ReplyParserOptions = {}) {
    this.sink = sink;
    this.maxLineLength = options.maxLineLength ?? 8192;
    this.maxValueLength = options.maxValueLength ?? 1024 * 1024 * 1024;
  }

  /** Forgets any half-read reply; used when the connection is reset. */
  reset(): void {
    this.partialLine = undefined;
    this.pending = undefined;
  }

  feed(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.partialLine !== undefined) {
      buf = Buffer.concat([this.partialLine, chunk]);
      this.partialLine = undefined;
    }
    const length = buf.length;
    while (pos < length) {
      if (this.pending !== undefined) {
        pos = this.continueValue(buf, pos);
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf === -1) {
        // +1: the line's \r may have arrived without its \n; it is not part of the line's length.
        if (length - pos > this.maxLineLength + 1) {
          throw new ProtocolError(`reply line longer than ${this.maxLineLength} bytes`);
        }
        // Copy so the (possibly large) chunk is not kept alive by a few bytes of it.
        this.partialLine = Buffer.from(buf.subarray(pos));
        return;
      }
      if (lf === pos || buf[lf - 1] !== CR) {
        throw new ProtocolError('reply line not terminated by \\r\\n');
      }
      const end = lf - 1;
      if (end - pos > this.maxLineLength) {
        throw new ProtocolError(`reply line longer than ${this.maxLineLength} bytes`);
      }
      const header = dataHeaderLength(buf, pos, end);
      if (header > 0) {
        pos = this.startValue(buf, pos + header, end, lf + 1);
      } else if (hasPrefix(buf, pos, end, VA_PREFIX)) {
        pos = this.startMetaValue(buf, pos + VA_PREFIX.length, end, lf + 1);
      } else {
        this.sink.onLine(buf.toString('latin1', pos, end));
        pos = lf + 1;
      }
    }
  }

  /**
   * Parses a VALUE header (after "VALUE "): `<key> <flags> <bytes> [<cas>]`, in one pass over its
   * bytes (a getMany's reply is mostly headers: a native indexOf per field costs more than the field),
   * then reads its data block if the chunk holds it.
   */
  private startValue(buf: Buffer, start: number, end: number, dataStart: number): number {
    let p = start;
    let high = 0;
    while (p < end && buf[p] !== SPACE) high |= buf[p++]!;
    if (p === start || p >= end) throw malformedHeader(buf, start, end);
    // Keys are almost always ASCII, where latin1 and UTF-8 decode alike and latin1 is cheaper.
    const key = high < 0x80 ? latin1(buf, start, p) : buf.toString('utf8', start, p);
    const flagsStart = ++p;
    let flags = 0;
    for (let d = digitAt(buf, p, end); d >= 0; d = digitAt(buf, ++p, end)) flags = flags * 10 + d;
    if (p === flagsStart || p >= end || buf[p] !== SPACE || flags > 0xffffffff)
      throw malformedHeader(buf, start, end);
    const bytesStart = ++p;
    let bytes = 0;
    for (let d = digitAt(buf, p, end); d >= 0; d = digitAt(buf, ++p, end)) bytes = bytes * 10 + d;
    if (p === bytesStart || (p < end && buf[p] !== SPACE)) throw malformedHeader(buf, start, end);
    let cas: string | undefined;
    if (p < end) {
      const casStart = ++p;
      while (digitAt(buf, p, end) >= 0) p++;
      // cas values can exceed 2^53: validate the digits and the 64-bit range, keep the text.
      if (p !== end || p === casStart || p - casStart > MAX_CAS_DIGITS)
        throw malformedHeader(buf, start, end);
      cas = latin1(buf, casStart, end);
      if (BigInt(cas) > MAX_CAS) throw malformedHeader(buf, start, end);
    }
    return this.readBlock(buf, dataStart, bytes, undefined, key, flags, cas);
  }

  /** Parses a meta `VA` header (after "VA "): `<bytes> <flags>*`. */
  private startMetaValue(buf: Buffer, start: number, end: number, dataStart: number): number {
    const bytesEnd = fieldEnd(buf, start, end);
    const bytes = parseDecimal(buf, start, bytesEnd);
    if (Number.isNaN(bytes)) {
      throw new ProtocolError(
        `malformed VA header: "VA ${buf.toString('latin1', start, Math.min(end, start + 80))}"`,
      );
    }
    const flags = bytesEnd < end ? buf.toString('latin1', bytesEnd + 1, end) : '';
    return this.readBlock(buf, dataStart, bytes, flags, '', 0, undefined);
  }

  /** Reads a data block of `bytes` (VALUE or VA) that starts at `dataStart`, here or over later chunks. */
  private readBlock(
    buf: Buffer,
    dataStart: number,
    bytes: number,
    meta: string | undefined,
    key: string,
    flags: number,
    cas: string | undefined,
  ): number {
    if (bytes > this.maxValueLength) {
      throw new ProtocolError(`a value of ${bytes} bytes exceeds the ${this.maxValueLength}-byte limit`);
    }
    const blockEnd = dataStart + bytes;
    if (blockEnd + 2 <= buf.length) {
      // The whole block is in this chunk: hand out a view, no copy.
      if (buf[blockEnd] !== CR || buf[blockEnd + 1] !== LF) {
        throw new ProtocolError('data block not followed by \\r\\n');
      }
      this.deliver(meta, key, flags, buf.subarray(dataStart, blockEnd), cas);
      return blockEnd + 2;
    }
    const total = bytes + 2;
    // A header alone never buys an allocation of its declared size: `VALUE k 0 1073741824` followed
    // by a trickle would otherwise hold 1 GiB at once.
    const buffer = total <= PREALLOCATE_LIMIT ? Buffer.allocUnsafe(total) : undefined;
    this.pending = { meta, key, flags, cas, total, buffer, parts: [], filled: 0 };
    return this.continueValue(buf, dataStart);
  }

  private deliver(
    meta: string | undefined,
    key: string,
    flags: number,
    data: Buffer,
    cas: string | undefined,
  ): void {
    if (meta === undefined) this.sink.onValue(key, flags, data, cas);
    else this.sink.onMetaValue(meta, data);
  }

  /** Takes what this chunk holds of a data block that spans chunks. */
  private continueValue(buf: Buffer, pos: number): number {
    const pending = this.pending!;
    const take = Math.min(pending.total - pending.filled, buf.length - pos);
    if (pending.buffer !== undefined) buf.copy(pending.buffer, pending.filled, pos, pos + take);
    // A view, not a copy: socket chunks are never reused, and the parts are joined once, below.
    else pending.parts.push(buf.subarray(pos, pos + take));
    pending.filled += take;
    if (pending.filled < pending.total) return pos + take;
    const block = pending.buffer ?? Buffer.concat(pending.parts, pending.total);
    const dataLength = pending.total - 2;
    if (block[dataLength] !== CR || block[dataLength + 1] !== LF) {
      throw new ProtocolError('data block not followed by \\r\\n');
    }
    this.pending = undefined;
    this.deliver(pending.meta, pending.key, pending.flags, block.subarray(0, dataLength), pending.cas);
    return pos + take;
  }
}

/** Length of a `VALUE ` or `CONFIG ` prefix at `pos`, or 0 for any other line. */
function dataHeaderLength(buf: Buffer, pos: number, end: number): number {
  if (hasPrefix(buf, pos, end, VALUE_PREFIX)) return VALUE_PREFIX.length;
  if (buf[pos] === 0x43 && hasPrefix(buf, pos, end, CONFIG_PREFIX)) return CONFIG_PREFIX.length;
  return 0;
}

function hasPrefix(buf: Buffer, pos: number, end: number, prefix: readonly number[]): boolean {
  if (end - pos < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (buf[pos + i] !== prefix[i]) return false;
  }
  return true;
}

function fieldEnd(buf: Buffer, start: number, end: number): number {
  const space = buf.indexOf(SPACE, start);
  return space === -1 || space > end ? end : space;
}

/** The decimal digit at `i` (before `end`), or -1. */
function digitAt(buf: Buffer, i: number, end: number): number {
  if (i >= end) return -1;
  const d = buf[i]! - 0x30;
  return d >= 0 && d <= 9 ? d : -1;
}

/** Decimal digits to a number; NaN for an empty field or a non-digit. */
function parseDecimal(buf: Buffer, start: number, end: number): number {
  if (start >= end) return Number.NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

function malformedHeader(buf: Buffer, start: number, end: number): ProtocolError {
  const shown = buf.toString('latin1', start, Math.min(end, start + 80));
  return new ProtocolError(`malformed VALUE header: "VALUE ${shown}"`);
}
