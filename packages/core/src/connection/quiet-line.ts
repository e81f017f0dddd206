import { ProtocolError } from '../errors.js';
import { byteLength, type Wire, withData } from '../protocol/encoder.js';
import { encodeMetaNoop, metaFlag, parseMetaStatus } from '../protocol/meta.js';
import { errorReply } from '../protocol/replies.js';
import type { Command } from './commands.js';

/**
 * One caller's `set` waiting in a tick's quiet line: its key, value and flags, encoded when the line
 * is sealed (alone, or with `q` and its place in the line), and its promise.
 */
export class QuietSet {
  readonly promise: Promise<boolean>;
  resolve!: (stored: boolean) => void;
  reject!: (error: Error) => void;

  constructor(
    readonly key: string,
    private readonly data: Uint8Array | string,
    private readonly flags: number,
    private readonly exptime: number,
  ) {
    this.promise = new Promise<boolean>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** `ms` alone is answered `HD`; in a line of several, `q` keeps a success silent and `O` names a failure. */
  encode(opaque: number | undefined): Wire {
    const data = this.data;
    const tail = opaque === undefined ? '' : ` q O${opaque}`;
    const header = `ms ${this.key} ${byteLength(data)} T${this.exptime} F${this.flags}${tail}\r\n`;
    return withData(header, data);
  }
}

/**
 * The concurrent `set`s of a tick to one server that speaks the meta protocol, as one command: each
 * `ms … q O<i>`, then `mn`, whose `MN` closes the line. memcached says nothing of a set that
 * succeeded, so a line of N sets costs the server one reply line to write and the client one to read
 * and match, where classic `set`s cost N (bench/README.md, "Sets in quiet lines"). A set alone in its
 * line goes as a plain `ms` (answered `HD`), with no `mn` to pay for.
 *
 * What each caller gets: true, unless a `NS` names it (false: not stored). An error line (`SERVER_ERROR
 * out of memory`) names no command, so it fails every set of the line that had no answer of its own:
 * those sets may or may not have been stored, and the callers are told they failed rather than that
 * they succeeded.
 */
export class QuietLine implements Command {
  deadline = 0;
  /** Lines carry no signal: a caller with one sends its own command (see Client.store). */
  readonly signal = undefined;
  private readonly sets: QuietSet[] = [];
  /** Sets answered before the `MN` (a `NS`, or an error line). */
  private answered: boolean[] | undefined;
  private encoded: Wire | undefined;

  /** Each set counts against maxPendingCommands. */
  get size(): number {
    return this.sets.length;
  }

  add(set: QuietSet): void {
    this.sets.push(set);
  }

  /**
   * Whether a set of `key` is in this line: a get of it issued now must wait for the line. A scan: a
   * line holds a sixth of what is in flight, and only a get issued while it is open asks.
   */
  has(key: string): boolean {
    const sets = this.sets;
    for (let i = 0; i < sets.length; i++) if (sets[i]!.key === key) return true;
    return false;
  }

  get bytes(): Wire {
    this.encoded ??= this.encode();
    return this.encoded;
  }

  private encode(): Wire {
    const sets = this.sets;
    if (sets.length === 1) return sets[0]!.encode(undefined);
    const parts: Wire[] = new Array(sets.length + 1);
    let allText = true;
    for (let i = 0; i < sets.length; i++) {
      const part = sets[i]!.encode(i);
      if (typeof part !== 'string') allText = false;
      parts[i] = part;
    }
    parts[sets.length] = encodeMetaNoop();
    if (allText) return (parts as string[]).join('');
    return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));
  }

  onLine(line: string, server: string): boolean {
    const status = parseMetaStatus(line);
    const sets = this.sets;
    if (sets.length === 1) {
      const set = sets[0]!;
      if (status?.code === 'HD') set.resolve(true);
      else if (status?.code === 'NS') set.resolve(false);
      else set.reject(this.errorOf(line, server));
      return true;
    }
    if (status === undefined) {
      const error = this.errorOf(line, server);
      const answered = this.answeredList();
      for (let i = 0; i < sets.length; i++) {
        if (answered[i]) continue;
        answered[i] = true;
        sets[i]!.reject(error);
      }
      return false;
    }
    if (status.code === 'MN') {
      const answered = this.answered;
      for (let i = 0; i < sets.length; i++) if (answered?.[i] !== true) sets[i]!.resolve(true);
      return true;
    }
    const opaque = metaFlag(status.flags, 'O');
    const index = opaque === undefined || !/^\d{1,9}$/.test(opaque) ? -1 : Number(opaque);
    // What memcached returns is input: a status naming no set of this line, or one already answered,
    // means the replies are out of step.
    if (index < 0 || index >= sets.length || this.answered?.[index] === true) {
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to a line of ${sets.length} "ms"`, {
        server,
      });
    }
    if (status.code !== 'NS' && status.code !== 'HD') {
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to "ms"`, { server });
    }
    this.answeredList()[index] = true;
    sets[index]!.resolve(status.code === 'HD');
    return false;
  }

  onValue(key: string, _flags: number, _data: Buffer, _cas: string | undefined, server: string): void {
    throw new ProtocolError(`unexpected VALUE ${key} in reply to "ms"`, { server });
  }

  onMetaValue(_flags: string, _data: Buffer, server: string): boolean {
    throw new ProtocolError('unexpected VA in reply to "ms"', { server });
  }

  fail(error: Error): void {
    const answered = this.answered;
    for (let i = 0; i < this.sets.length; i++) if (answered?.[i] !== true) this.sets[i]!.reject(error);
  }

  private answeredList(): boolean[] {
    this.answered ??= new Array<boolean>(this.sets.length).fill(false);
    return this.answered;
  }

  private errorOf(line: string, server: string): Error {
    const error = errorReply(line, server);
    if (error === undefined) {
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to "ms"`, { server });
    }
    return error;
  }
}
