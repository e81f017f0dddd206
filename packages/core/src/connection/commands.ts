import { hideSecrets } from '../config/secrets.js';
import { ProtocolError } from '../errors.js';
import type { Wire } from '../protocol/encoder.js';
import { errorReply } from '../protocol/replies.js';

/**
 * A command on its way through a connection: its bytes, its deadline, and how it reads its reply.
 * `onLine`/`onValue` are fed the parser's items while this command is at the head of the queue;
 * `onLine` returns true once the reply is complete. An unexpected reply throws a ProtocolError, which
 * resets the connection. `fail` settles the command when the connection cannot deliver a reply.
 */
export interface Command {
  readonly bytes: Wire;
  /** `performance.now()` ms after which the command has timed out (monotonic); set when it is queued. */
  deadline: number;
  /**
   * The caller's signal: once it fires, a command not yet written is dropped instead of written. A
   * command already written keeps its place in the reply stream; its reply is read and discarded.
   */
  readonly signal?: AbortSignal | undefined;
  onLine(line: string, server: string): boolean;
  onValue(key: string, flags: number, data: Buffer, cas: string | undefined, server: string): void;
  /**
   * A meta `VA` reply (see parser.ts); true when it completes the reply (a `VA` is a whole reply).
   * Commands that send no meta command have none.
   */
  onMetaValue?(flags: string, data: Buffer, server: string): boolean;
  fail(error: Error): void;
}

/** A command that settles one promise. */
export abstract class SingleReplyCommand<T> implements Command {
  deadline = 0;
  signal: AbortSignal | undefined = undefined;
  readonly promise: Promise<T>;
  protected resolve!: (value: T) => void;
  protected reject!: (error: Error) => void;

  constructor(readonly bytes: Wire) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  abstract onLine(line: string, server: string): boolean;

  onValue(key: string, _flags: number, _data: Buffer, _cas: string | undefined, server: string): void {
    throw new ProtocolError(`unexpected VALUE ${key} in reply to ${describe(this.bytes)}`, { server });
  }

  fail(error: Error): void {
    this.reject(error);
  }

  /** Settles with an error reply if `line` is one; otherwise the reply is not a reply to this command. */
  protected errorOrUnexpected(line: string, server: string): true {
    const error = errorReply(line, server);
    if (error === undefined) {
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to ${describe(this.bytes)}`, {
        server,
      });
    }
    this.reject(error);
    return true;
  }
}

/**
 * Commands answered by one status word: storage (`STORED` vs `NOT_STORED`/`EXISTS`/`NOT_FOUND`),
 * `delete` (`DELETED`/`NOT_FOUND`), `touch` (`TOUCHED`/`NOT_FOUND`). The negative answers are results
 * (false), not errors.
 */
export class StatusCommand extends SingleReplyCommand<boolean> {
  constructor(
    bytes: Wire,
    private readonly success: string,
  ) {
    super(bytes);
  }

  onLine(line: string, server: string): boolean {
    if (line === this.success) this.resolve(true);
    else if (line === 'NOT_STORED' || line === 'EXISTS' || line === 'NOT_FOUND') this.resolve(false);
    else return this.errorOrUnexpected(line, server);
    return true;
  }
}

/** `incr`/`decr`: the new value as decimal text, or undefined for `NOT_FOUND`. */
export class ArithmeticCommand extends SingleReplyCommand<string | undefined> {
  onLine(line: string, server: string): boolean {
    // memcached < 1.4.? padded the reply with spaces; trim to be safe.
    const text = line.trimEnd();
    if (/^\d+$/.test(text)) this.resolve(text);
    else if (line === 'NOT_FOUND') this.resolve(undefined);
    else return this.errorOrUnexpected(line, server);
    return true;
  }
}

/** `flush_all`, `verbosity`: answered `OK`. */
export class OkCommand extends SingleReplyCommand<void> {
  onLine(line: string, server: string): boolean {
    if (line === 'OK') this.resolve();
    else return this.errorOrUnexpected(line, server);
    return true;
  }
}

/** `version`: answered `VERSION <text>`. */
export class VersionCommand extends SingleReplyCommand<string> {
  onLine(line: string, server: string): boolean {
    if (line.startsWith('VERSION ')) this.resolve(line.slice(8));
    else return this.errorOrUnexpected(line, server);
    return true;
  }
}

/**
 * `stats [group]`: `STAT <name> <value>` lines until `END`. `stats reset` answers `RESET` and
 * `stats detail on` answers `OK`; both end the reply. Lines of other shapes (`ITEM …` from
 * `stats cachedump`) are kept under their own text with an empty value.
 */
export class StatsCommand extends SingleReplyCommand<Record<string, string>> {
  private readonly stats: Record<string, string> = {};
  /** Characters of the reply so far: a server sending `STAT` lines without end must not grow memory without bound. */
  private size = 0;

  /** @param maxSize the most characters the whole reply may hold (ClientOptions.maxReplyValueSize). */
  constructor(
    bytes: Wire,
    private readonly maxSize = Number.POSITIVE_INFINITY,
  ) {
    super(bytes);
  }

  onLine(line: string, server: string): boolean {
    this.size += line.length + 2;
    if (this.size > this.maxSize) {
      throw new ProtocolError(`stats reply longer than ${this.maxSize} bytes`, { server });
    }
    if (line.startsWith('STAT ')) {
      const space = line.indexOf(' ', 5);
      if (space === -1) this.stats[line.slice(5)] = '';
      else this.stats[line.slice(5, space)] = line.slice(space + 1);
      return false;
    }
    if (line === 'END' || line === 'RESET' || line === 'OK') {
      this.resolve(this.stats);
      return true;
    }
    if (errorReply(line, server) !== undefined) return this.errorOrUnexpected(line, server);
    this.stats[line] = '';
    return false;
  }
}

/**
 * `config get cluster` (AWS ElastiCache auto discovery): a `CONFIG cluster 0 <bytes>` data block,
 * then `END`. Plain memcached answers `ERROR`, which rejects as a ClientError.
 */
export class ConfigCommand extends SingleReplyCommand<Buffer | undefined> {
  private data: Buffer | undefined;

  override onValue(_key: string, _flags: number, data: Buffer): void {
    this.data = Buffer.from(data);
  }

  onLine(line: string, server: string): boolean {
    if (line === 'END') this.resolve(this.data);
    else return this.errorOrUnexpected(line, server);
    return true;
  }
}

/** A login pseudo-set; its reply is handed to the connection's login flow. */
export class LoginCommand implements Command {
  deadline = 0;
  constructor(
    readonly bytes: Wire,
    private readonly onReply: (line: string) => void,
    private readonly onFail: (error: Error) => void,
  ) {
    // The pseudo-set's bytes hold the password: util.inspect(client) while a login is in flight
    // would otherwise show them (as hex).
    hideSecrets(this, ['bytes']);
  }

  onLine(line: string): boolean {
    this.onReply(line);
    return true;
  }

  onValue(key: string): void {
    throw new ProtocolError(`unexpected VALUE ${key} in reply to a login`);
  }

  fail(error: Error): void {
    this.onFail(error);
  }
}

/** The command's verb for messages, never its arguments (a value or credential may follow). */
export function describe(bytes: Wire): string {
  const head = typeof bytes === 'string' ? bytes.slice(0, 16) : bytes.toString('latin1', 0, 16);
  const space = head.indexOf(' ');
  return `"${(space === -1 ? head : head.slice(0, space)).trim()}"`;
}
