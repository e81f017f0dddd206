import { ProtocolError } from '../errors.js';
import { encodeStorage, joinWires, type Wire } from '../protocol/encoder.js';
import { encodeMetaNoop, encodeQuietSet, readQuietReply } from '../protocol/meta.js';
import { errorReply } from '../protocol/replies.js';
import type { Command } from './commands.js';

/**
 * One caller's `set` waiting in a tick's line: its key, value and flags, encoded when the line is
 * sealed (classic when alone, else quiet with its place in the line), and its promise.
 */
export class LineSet {
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

  /** `set <key> <flags> <exptime> <bytes>`, answered `STORED`. */
  encodeClassic(): Wire {
    return encodeStorage('set', this.key, this.flags, this.exptime, this.data);
  }

  /** `ms … q O<opaque>`: a success says nothing, a failure names its place in the line. */
  encodeQuiet(opaque: number): Wire {
    return encodeQuietSet(this.key, this.data, this.exptime, this.flags, opaque);
  }
}

/**
 * The concurrent `set`s of a tick to one server that speaks the meta protocol, as one command. A line
 * of two or more goes quiet: each `ms … q O<i>`, then `mn`, whose `MN` closes the line; memcached says
 * nothing of a set that succeeded, so the line costs the server one reply to write and the client one
 * to read and match, where classic `set`s cost one each. A set alone is a classic `set`, answered
 * `STORED`.
 *
 * Why from two: memcached spends a little more on an `ms` than on a `set`, and one more command on the
 * `mn`, so short lines sent classic looked cheaper; measured with builds taking turns (bench/README.md,
 * "Sets in quiet lines"), lines sent classic below 4, 6 or 8 sets gave 0.94–1.14× the sets per second
 * of classic sets at c=17 and c=50, where lines quiet from two gave 1.19–1.57×: the replies saved are
 * what lets the client and the server overlap.
 *
 * What each caller of a quiet line gets: true, unless a `NS` names it (false: not stored). An error
 * line (`SERVER_ERROR out of memory storing object`) names no command, so it fails every set of the
 * line that had no answer of its own: those sets may or may not have been stored, and the callers are
 * told they failed rather than that they succeeded.
 */
export class SetLine implements Command {
  deadline = 0;
  /** Lines carry no signal: a caller with one sends its own command (see Client.store). */
  readonly signal = undefined;
  private readonly sets: LineSet[] = [];
  /** The sets answered before the `MN` (a `NS`, or an error line), made at the first. */
  private answered: boolean[] | undefined;
  private encoded: Wire | undefined;

  /** Each set counts against maxPendingCommands. */
  get size(): number {
    return this.sets.length;
  }

  add(set: LineSet): void {
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

  /** No set joins a line once it is sealed, so its length decides: quiet from two sets. */
  private get quiet(): boolean {
    return this.sets.length > 1;
  }

  private encode(): Wire {
    const sets = this.sets;
    if (!this.quiet) return sets[0]!.encodeClassic();
    const parts: Wire[] = new Array(sets.length + 1);
    for (let i = 0; i < sets.length; i++) parts[i] = sets[i]!.encodeQuiet(i);
    parts[sets.length] = encodeMetaNoop();
    return joinWires(parts);
  }

  onLine(line: string, server: string): boolean {
    if (this.quiet) return this.onQuietLine(line, server);
    const set = this.sets[0]!;
    if (line === 'STORED') set.resolve(true);
    else if (line === 'NOT_STORED') set.resolve(false);
    else set.reject(this.errorOf(line, server));
    return true;
  }

  private onQuietLine(line: string, server: string): boolean {
    const sets = this.sets;
    const reply = readQuietReply(line, server, sets.length);
    this.answered ??= new Array<boolean>(sets.length).fill(false);
    const answered = this.answered;
    if (reply.kind === 'end') {
      for (let i = 0; i < sets.length; i++) if (!answered[i]) sets[i]!.resolve(true);
      return true;
    }
    if (reply.kind === 'error') {
      for (let i = 0; i < sets.length; i++) {
        if (answered[i]) continue;
        answered[i] = true;
        sets[i]!.reject(reply.error);
      }
      return false;
    }
    // A set is answered once, and `ms` in set mode says HD or NS: anything else is out of step.
    if (answered[reply.index] || reply.code === 'EX' || reply.code === 'NF') {
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to a line of sets`, { server });
    }
    answered[reply.index] = true;
    sets[reply.index]!.resolve(reply.code === 'HD');
    return false;
  }

  onValue(key: string, _flags: number, _data: Buffer, _cas: string | undefined, server: string): void {
    throw new ProtocolError(`unexpected VALUE ${key} in reply to a line of sets`, { server });
  }

  onMetaValue(_flags: string, _data: Buffer, server: string): boolean {
    throw new ProtocolError('unexpected VA in reply to a line of sets', { server });
  }

  fail(error: Error): void {
    const sets = this.sets;
    const answered = this.answered;
    for (let i = 0; i < sets.length; i++) if (answered?.[i] !== true) sets[i]!.reject(error);
  }

  private errorOf(line: string, server: string): Error {
    const error = errorReply(line, server);
    if (error === undefined) {
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to a set`, { server });
    }
    return error;
  }
}
