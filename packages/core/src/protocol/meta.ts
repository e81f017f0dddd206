/**
 * Encodes memcached 1.6's meta commands (protocol.txt, "Meta Commands") and reads their status
 * lines. A meta command is `<verb> <key> <flag>*`: each flag a letter, some with a token (`T30`,
 * `O7`). Keys arrive checked (keys.ts) and flags are built here from checked numbers only: nothing
 * a caller writes reaches a flag.
 *
 * Replies: `HD` (done), `NS` (not stored), `EX` (exists: cas mismatch), `NF` (not found), `EN`
 * (miss), `MN` (the end of a quiet batch), and `VA <bytes> <flags>*` + data (read by the parser);
 * each may carry return flags (`HD t30`, `NS O7`).
 */
import { type MemwireError, ProtocolError } from '../errors.js';
import type { Wire } from './encoder.js';
import { byteLength, withData } from './encoder.js';
import { errorReply } from './replies.js';

export type MetaVerb = 'mg' | 'ms' | 'md' | 'ma';

/** `<verb> <key> <flags>\r\n` */
export function encodeMeta(verb: MetaVerb, key: string, flags: readonly string[]): string {
  return flags.length === 0 ? `${verb} ${key}\r\n` : `${verb} ${key} ${flags.join(' ')}\r\n`;
}

/** `ms <key> <datalen> <flags>\r\n<data>\r\n`: a string stays text, bytes are copied into the command. */
export function encodeMetaSet(key: string, data: Uint8Array | string, flags: readonly string[]): Wire {
  return withData(
    `ms ${key} ${byteLength(data)}${flags.length === 0 ? '' : ` ${flags.join(' ')}`}\r\n`,
    data,
  );
}

/**
 * `ms <key> <datalen> [T<exptime>] [F<flags>] q O<opaque>\r\n<data>\r\n`: a set that says nothing when it
 * succeeds and names its place (the opaque) when it does not. `T` and `F` are left out when 0, which is
 * what `ms` stores without them (never expires; flags 0, a string's): memcached parses two tokens less
 * per set, measured at 1.04–1.06× the sets per second of quiet lines carrying `T0 F0`
 * (bench/README.md, "Quiet sets without `T0 F0`").
 */
export function encodeQuietSet(
  key: string,
  data: Uint8Array | string,
  exptime: number,
  flags: number,
  opaque: number,
): Wire {
  const ttl = exptime === 0 ? '' : ` T${exptime}`;
  const typed = flags === 0 ? '' : ` F${flags}`;
  return withData(`ms ${key} ${byteLength(data)}${ttl}${typed} q O${opaque}\r\n`, data);
}

/** `mn\r\n`: answered `MN` once every command before it on the connection has been answered. */
export function encodeMetaNoop(): string {
  return 'mn\r\n';
}

/** A meta status line split: its two-letter code and its return flags. */
export interface MetaStatus {
  code: string;
  flags: readonly string[];
}

const STATUS = /^(HD|NS|EX|NF|EN|MN)(?: (.*))?$/;

/** Reads a meta status line; undefined when the line is not one (an error line, or garbage). */
export function parseMetaStatus(line: string): MetaStatus | undefined {
  const match = STATUS.exec(line);
  if (match === null) return undefined;
  return { code: match[1]!, flags: match[2] === undefined || match[2] === '' ? [] : match[2].split(' ') };
}

/** The token of return flag `letter` (`'30'` of `t30`), `''` for a flag without one, or undefined. */
export function metaFlag(flags: readonly string[] | string, letter: string): string | undefined {
  const list = typeof flags === 'string' ? (flags === '' ? [] : flags.split(' ')) : flags;
  for (const flag of list) if (flag[0] === letter) return flag.slice(1);
  return undefined;
}

/**
 * One reply line to a quiet batch of `size` commands sent with `O<index>`: the batch's end (`MN`), a
 * command's own answer (`HD`, `NS`, `EX`, `NF` naming its index), or an error line, which names no
 * command. Anything else, or an answer naming no command of the batch, throws (the replies are out of
 * step: what memcached returns is input).
 */
export type QuietReply =
  | { kind: 'end' }
  | { kind: 'answer'; index: number; code: 'HD' | 'NS' | 'EX' | 'NF' }
  | { kind: 'error'; error: MemwireError };

export function readQuietReply(line: string, server: string, size: number): QuietReply {
  const status = parseMetaStatus(line);
  if (status === undefined) {
    const error = errorReply(line, server);
    if (error === undefined) throw outOfStep(line, server);
    return { kind: 'error', error };
  }
  if (status.code === 'MN') return { kind: 'end' };
  const opaque = metaFlag(status.flags, 'O');
  const index = opaque === undefined || !/^\d{1,9}$/.test(opaque) ? -1 : Number(opaque);
  const code = status.code;
  if (index < 0 || index >= size || (code !== 'HD' && code !== 'NS' && code !== 'EX' && code !== 'NF')) {
    throw outOfStep(line, server);
  }
  return { kind: 'answer', index, code };
}

function outOfStep(line: string, server: string): ProtocolError {
  return new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to a quiet batch`, { server });
}
