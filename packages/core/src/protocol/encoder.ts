/**
 * Encodes classic text-protocol commands (protocol.txt) to bytes. Keys arrive already checked
 * (see keys.ts) and numbers already validated: this file only lays out bytes.
 * One Buffer per command: small ones come from Node's pool, and a value is copied once, so a
 * caller mutating its Buffer after `set()` cannot change what is sent.
 */

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
  data: Uint8Array,
  cas?: string,
): Buffer {
  const header =
    cas === undefined
      ? `${verb} ${key} ${flags} ${exptime} ${data.length}\r\n`
      : `${verb} ${key} ${flags} ${exptime} ${data.length} ${cas}\r\n`;
  const headerBytes = Buffer.byteLength(header);
  const out = Buffer.allocUnsafe(headerBytes + data.length + 2);
  out.write(header, 0, headerBytes, 'utf8');
  out.set(data, headerBytes);
  out[headerBytes + data.length] = 0x0d;
  out[headerBytes + data.length + 1] = 0x0a;
  return out;
}

/** `get|gets <key>*\r\n` */
export function encodeRetrieval(verb: RetrievalVerb, keys: readonly string[]): Buffer {
  return Buffer.from(`${verb} ${keys.join(' ')}${CRLF}`);
}

/** `gat|gats <exptime> <key>*\r\n` */
export function encodeTouchRetrieval(
  verb: TouchRetrievalVerb,
  exptime: number,
  keys: readonly string[],
): Buffer {
  return Buffer.from(`${verb} ${exptime} ${keys.join(' ')}${CRLF}`);
}

export function encodeDelete(key: string): Buffer {
  return Buffer.from(`delete ${key}${CRLF}`);
}

/** `incr|decr <key> <value>\r\n`; the delta as decimal text, since it may exceed 2^53. */
export function encodeArithmetic(verb: 'incr' | 'decr', key: string, delta: string): Buffer {
  return Buffer.from(`${verb} ${key} ${delta}${CRLF}`);
}

export function encodeTouch(key: string, exptime: number): Buffer {
  return Buffer.from(`touch ${key} ${exptime}${CRLF}`);
}

export function encodeFlushAll(delaySeconds?: number): Buffer {
  return Buffer.from(delaySeconds === undefined ? `flush_all${CRLF}` : `flush_all ${delaySeconds}${CRLF}`);
}

export function encodeStats(group?: string): Buffer {
  return Buffer.from(group === undefined ? `stats${CRLF}` : `stats ${group}${CRLF}`);
}

export function encodeVersion(): Buffer {
  return Buffer.from(`version${CRLF}`);
}

export function encodeVerbosity(level: number): Buffer {
  return Buffer.from(`verbosity ${level}${CRLF}`);
}

export function encodeQuit(): Buffer {
  return Buffer.from(`quit${CRLF}`);
}
