import { type MemwireError, ProtocolError } from '../errors.js';
import { joinWires, type Wire } from '../protocol/encoder.js';
import {
  encodeMetaNoop,
  type MetaStatus,
  metaFlag,
  parseMetaStatus,
  readQuietReply,
} from '../protocol/meta.js';
import { describe, SingleReplyCommand } from './commands.js';

/**
 * The commands that speak memcached 1.6's meta protocol (protocol/meta.ts). Each reads its replies
 * the way the connection hands them over (see commands.ts); none is sent to a server that has not
 * answered `mn` (see meta-support.ts), unless the user chose `protocol: 'meta'`.
 */
abstract class MetaCommand<T> extends SingleReplyCommand<T> {
  onLine(line: string, server: string): boolean {
    const status = parseMetaStatus(line);
    return status === undefined ? this.errorOrUnexpected(line, server) : this.onStatus(status, server);
  }

  protected abstract onStatus(status: MetaStatus, server: string): boolean;

  /** A `VA` reply is whole on its own: true completes the command. */
  onMetaValue(_flags: string, _data: Buffer, server: string): boolean {
    throw new ProtocolError(`unexpected VA in reply to ${describe(this.bytes)}`, { server });
  }

  protected unexpected(line: string, server: string): ProtocolError {
    return new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to ${describe(this.bytes)}`, {
      server,
    });
  }
}

/** `mn`: answered `MN`. A server without meta commands answers `ERROR` (a ClientError). */
export class MetaNoopCommand extends MetaCommand<void> {
  constructor() {
    super(encodeMetaNoop());
  }

  protected onStatus(status: MetaStatus, server: string): boolean {
    if (status.code !== 'MN') throw this.unexpected(status.code, server);
    this.resolve();
    return true;
  }
}

/**
 * `mg <key> t`: the item's remaining TTL in seconds (`HD t30`), `Infinity` for one that never
 * expires (`t-1`), undefined on a miss (`EN`).
 */
export class MetaTtlCommand extends MetaCommand<number | undefined> {
  protected onStatus(status: MetaStatus, server: string): boolean {
    if (status.code === 'EN') {
      this.resolve(undefined);
      return true;
    }
    const ttl = status.code === 'HD' ? metaFlag(status.flags, 't') : undefined;
    // What memcached returns is input: a `t` that is not a whole number of seconds is not a TTL.
    if (ttl === undefined || !/^(-1|\d{1,10})$/.test(ttl)) throw this.unexpected(status.code, server);
    this.resolve(ttl === '-1' ? Number.POSITIVE_INFINITY : Number(ttl));
    return true;
  }
}

/** `md <key> [I T<ttl>]`: true when deleted (or marked stale), false when there was no item. */
export class MetaDeleteCommand extends MetaCommand<boolean> {
  protected onStatus(status: MetaStatus, server: string): boolean {
    if (status.code === 'HD') this.resolve(true);
    else if (status.code === 'NF') this.resolve(false);
    else throw this.unexpected(status.code, server);
    return true;
  }
}

/**
 * A meta command answered by a bare status: `HD` true; `NS` (not stored), `NF` (not found), `EN`
 * (miss) and `EX` (cas mismatch) false. `ms`, `md`, and `mg` without `v` (a touch).
 */
export class MetaStatusCommand extends MetaCommand<boolean> {
  protected onStatus(status: MetaStatus, server: string): boolean {
    if (status.code === 'HD') this.resolve(true);
    else if (status.code === 'NS' || status.code === 'NF' || status.code === 'EN' || status.code === 'EX')
      this.resolve(false);
    else throw this.unexpected(status.code, server);
    return true;
  }
}

/** What `mg <key> v f` found: the item's bytes (a copy) and client flags, or undefined on a miss. */
export class MetaValueCommand extends MetaCommand<{ data: Buffer; flags: number } | undefined> {
  override onMetaValue(flagText: string, data: Buffer, server: string): boolean {
    const flags = metaFlag(flagText, 'f');
    // What memcached returns is input: the flags must be a 32-bit number.
    if (flags === undefined || !/^\d{1,10}$/.test(flags) || Number(flags) > 0xffffffff) {
      throw new ProtocolError(`malformed meta value flags "${flagText.slice(0, 80)}"`, { server });
    }
    // A copy: the value outlives the socket chunk it arrived in.
    this.resolve({ data: Buffer.from(data), flags: Number(flags) });
    return true;
  }

  protected onStatus(status: MetaStatus, server: string): boolean {
    if (status.code !== 'EN') throw this.unexpected(status.code, server);
    this.resolve(undefined);
    return true;
  }
}

/** What `mg <key> v f c t N<ttl>` found; see Client.getLease. */
export interface RawLease {
  /** The item's bytes and flags; undefined for a miss or the empty placeholder a lease created. */
  data: Buffer | undefined;
  flags: number;
  cas: string | undefined;
  won: boolean;
  stale: boolean;
}

/**
 * `mg <key> v f c t N<ttl>`: the value, and the server's say on who recomputes it. On a miss the
 * server creates an empty placeholder for `ttl` seconds and answers `W` (won) to the first caller
 * and `Z` (a winner exists) to the others; an item marked stale by `md I` answers `X` with `W` once
 * and `Z` after, its old value still served.
 */
export class MetaLeaseCommand extends MetaCommand<RawLease> {
  override onMetaValue(flagText: string, data: Buffer, server: string): boolean {
    const flags = flagText === '' ? [] : flagText.split(' ');
    const won = metaFlag(flags, 'W') !== undefined;
    const stale = metaFlag(flags, 'X') !== undefined;
    const placeholder = !stale && (won || metaFlag(flags, 'Z') !== undefined) && data.length === 0;
    const clientFlags = metaFlag(flags, 'f');
    const cas = metaFlag(flags, 'c');
    // What memcached returns is input: flags and cas must be what the protocol says they are.
    if (clientFlags === undefined || !/^\d{1,10}$/.test(clientFlags) || Number(clientFlags) > 0xffffffff)
      throw this.malformed(flagText, server);
    if (cas !== undefined && !/^\d{1,20}$/.test(cas)) throw this.malformed(flagText, server);
    this.resolve({
      // A copy: the value outlives the socket chunk it arrived in.
      data: placeholder ? undefined : Buffer.from(data),
      flags: Number(clientFlags),
      cas,
      won,
      stale,
    });
    return true;
  }

  protected onStatus(status: MetaStatus, server: string): boolean {
    // `N` vivifies a miss, so `EN` only comes from a server that ignored the flag: a miss nobody won.
    if (status.code !== 'EN') throw this.unexpected(status.code, server);
    this.resolve({ data: undefined, flags: 0, cas: undefined, won: false, stale: false });
    return true;
  }

  private malformed(flagText: string, server: string): ProtocolError {
    return new ProtocolError(`malformed meta value flags "${flagText.slice(0, 80)}"`, { server });
  }
}

/** One command of a quiet batch, and what its failure reply means. */
export interface BatchEntry {
  /** The command with `q` and `O<index>` among its flags. */
  bytes: Wire;
}

/**
 * A quiet batch: N meta commands sent with `q` (a success says nothing) and `O<index>` (a failure
 * names its command), then `mn`, whose `MN` closes the batch. A batch that all succeeds costs one
 * reply line instead of N. Outcomes per index: true unless a `NS`/`EX`/`NF` names it (false); an
 * error line names no command, so it becomes the outcome of every command not already answered.
 */
export class MetaBatchCommand extends SingleReplyCommand<(boolean | MemwireError)[]> {
  private readonly outcomes: (boolean | MemwireError | undefined)[];

  constructor(entries: readonly BatchEntry[]) {
    super(joinWires([...entries.map((entry) => entry.bytes), encodeMetaNoop()]));
    this.outcomes = new Array(entries.length).fill(undefined);
  }

  /** Each command counts against maxPendingCommands. */
  get size(): number {
    return this.outcomes.length;
  }

  onLine(line: string, server: string): boolean {
    const reply = readQuietReply(line, server, this.outcomes.length);
    if (reply.kind === 'end') {
      this.resolve(this.outcomes.map((outcome) => outcome ?? true));
      return true;
    }
    if (reply.kind === 'error') {
      for (let i = 0; i < this.outcomes.length; i++) this.outcomes[i] ??= reply.error;
      return false;
    }
    this.outcomes[reply.index] = reply.code === 'HD';
    return false;
  }

  onMetaValue(_flags: string, _data: Buffer, server: string): boolean {
    throw new ProtocolError('unexpected VA in reply to a quiet batch', { server });
  }
}
