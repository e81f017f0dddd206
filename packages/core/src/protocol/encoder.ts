/**
 * Encodes classic text-protocol commands (protocol.txt). Keys arrive already checked (see keys.ts)
 * and numbers already validated: this file only lays out the command.
 *
 * A command is a {@link Wire}: a string when it is all text (the connection joins a tick's strings and
 * writes them with one UTF-8 encode, no Buffer per command), or a Buffer when it carries bytes. A
 * byte value is copied into its command, so a caller mutating its Buffer after `set()` cannot change
 * what is sent.
 */

/** A command as sent: text (written as UTF-8) or bytes. */
export type Wire = string | Buffer;

/** The bytes of a command, for tests and diagnostics. */
export function wireBytes(wire: Wire): Buffer {
  return typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire;
}

export type StorageVerb = 'set' | 'add' | 'replace' | 'append' | 'prepend';
export type RetrievalVerb = 'get' | 'gets';
export type TouchRetrievalVerb = 'gat' | 'gats';

const CRLF = '\r\n';

/** `<verb> <key> <flags> <exptime> <bytes> [<cas>]\r\n<data>\r\n` */
export function encodeStorage(
  verb: StorageVerb | 'cas',
  key: string,
  flags: number,
  exptime: number,
  data: Uint8Array | string,
  cas?: string,
): Wire {
  const dataBytes = byteLength(data);
  const header =
    cas === undefined
      ? `${verb} ${key} ${flags} ${exptime} ${dataBytes}\r\n`
      : `${verb} ${key} ${flags} ${exptime} ${dataBytes} ${cas}\r\n`;
  return withData(header, data);
}

/** `header` then the data block and its CRLF: a string stays text, bytes are copied into the command. */
export function withData(header: string, data: Uint8Array | string): Wire {
  if (typeof data === 'string') return `${header}${data}\r\n`;
  const headerBytes = Buffer.byteLength(header);
  const out = Buffer.allocUnsafe(headerBytes + data.length + 2);
  out.write(header, 0, headerBytes, 'utf8');
  out.set(data, headerBytes);
  out[headerBytes + data.length] = 0x0d;
  out[headerBytes + data.length + 1] = 0x0a;
  return out;
}

/**
 * The most UTF-16 units the client joins into one string. V8 refuses a string past 2^29 - 24 units
 * (`join` throws a RangeError), which ~520 concurrent 1 MB string sets in one tick used to reach, in
 * a flush no caller could catch; far below that, so no one string of a write is a burden either.
 */
export const MAX_JOINED_TEXT = 16 * 1024 * 1024;

/** Commands as one Wire: text joined when every part is text and the sum is short enough, else one Buffer. */
export function joinWires(parts: readonly Wire[]): Wire {
  let units = 0;
  for (const part of parts) {
    if (typeof part !== 'string') {
      units = Number.POSITIVE_INFINITY;
      break;
    }
    units += part.length;
  }
  if (units <= MAX_JOINED_TEXT) return (parts as string[]).join('');
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
}

/**
 * Text chunks joined into as few strings as fit under MAX_JOINED_TEXT units each, in order (a chunk
 * longer than that on its own stays alone). One string in the common case.
 */
export function joinedText(chunks: readonly string[], max = MAX_JOINED_TEXT): string[] {
  let units = 0;
  for (const chunk of chunks) units += chunk.length;
  if (units <= max) return [chunks.join('')];
  const joined: string[] = [];
  let group: string[] = [];
  let groupUnits = 0;
  for (const chunk of chunks) {
    if (groupUnits + chunk.length > max && group.length > 0) {
      joined.push(group.join(''));
      group = [];
      groupUnits = 0;
    }
    group.push(chunk);
    groupUnits += chunk.length;
  }
  if (group.length > 0) joined.push(group.join(''));
  return joined;
}

/** Bytes a value takes on the wire: a string counts as UTF-8. */
export function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
}

/** `get|gets <key>*\r\n` */
export function encodeRetrieval(verb: RetrievalVerb, keys: readonly string[]): string {
  return `${verb} ${keys.join(' ')}${CRLF}`;
}

/** `gat|gats <exptime> <key>*\r\n` */
export function encodeTouchRetrieval(
  verb: TouchRetrievalVerb,
  exptime: number,
  keys: readonly string[],
): string {
  return `${verb} ${exptime} ${keys.join(' ')}${CRLF}`;
}

export function encodeDelete(key: string): string {
  return `delete ${key}${CRLF}`;
}

/** `incr|decr <key> <value>\r\n`; the delta as decimal text, since it may exceed 2^53. */
export function encodeArithmetic(verb: 'incr' | 'decr', key: string, delta: string): string {
  return `${verb} ${key} ${delta}${CRLF}`;
}

export function encodeTouch(key: string, exptime: number): string {
  return `touch ${key} ${exptime}${CRLF}`;
}

export function encodeFlushAll(delaySeconds?: number): string {
  return delaySeconds === undefined ? `flush_all${CRLF}` : `flush_all ${delaySeconds}${CRLF}`;
}

export function encodeStats(group?: string): string {
  return group === undefined ? `stats${CRLF}` : `stats ${group}${CRLF}`;
}

export function encodeVersion(): string {
  return `version${CRLF}`;
}

export function encodeVerbosity(level: number): string {
  return `verbosity ${level}${CRLF}`;
}

export function encodeQuit(): string {
  return `quit${CRLF}`;
}
