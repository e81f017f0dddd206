import type { Protocol } from '../config/options.js';
import { ClientClosedError } from '../errors.js';
import { encodeVersion } from '../protocol/encoder.js';
import { VersionCommand } from './commands.js';
import type { Connection } from './connection.js';
import { MetaNoopCommand } from './meta-commands.js';

/**
 * The first memcached whose meta commands answer as protocol.txt describes them today (`HD`, `EN`,
 * `MN`, the `q`, `O`, `N` and `I` flags). Earlier 1.6 releases spoke drafts of the meta protocol, and
 * memcached < 1.6 has none: both get the classic commands.
 */
const FIRST_META_VERSION = [1, 6, 10] as const;

/**
 * Whether one server speaks the meta protocol, asked once per server. Under `protocol: 'auto'` the
 * first meta-capable call (a plain `set` is one) asks `version`, then, for 1.6.10 or later, `mn`,
 * which must answer `MN`; the answer is kept until the server is marked down or back up (it may have
 * been replaced). A `version` that gets no reply (server down, timeout) decides nothing and is asked
 * again next time; an `mn` that gets none after `version` did is taken for "no": a front that drops
 * the connection on a command it does not know must not be asked again on every call.
 *
 * The asking has a connection of its own, opened for it and ended after: a front that closes the
 * connection on `mn` (twemproxy does, though it forwards `version`) then costs nothing but that
 * connection, where on a shared one it would fail every command in flight with it; nor does its
 * failure count against the server's health.
 */
export class MetaSupport {
  private answer: boolean | undefined;
  private asking: Promise<boolean> | undefined;
  /** The connection of the asking in progress, ended once it is over (or the client closes). */
  private asker: Connection | undefined;
  private closed = false;

  constructor(
    private readonly protocol: Protocol,
    /** false where asking is itself unsafe: through twemproxy, to IronCache. */
    private readonly mayAsk: boolean,
    /** A new connection to the server, logged in as the others are, for the asking alone. */
    private readonly openConnection: () => Connection,
    /** The server's error while it is marked down: then nothing is asked (a dead server fails fast). */
    private readonly downError: () => Error | undefined,
  ) {}

  /** Speak meta to this server? Rejects only when the server could not be asked at all. */
  speaksMeta(): Promise<boolean> {
    const known = this.known;
    if (known !== undefined) return Promise.resolve(known);
    this.asking ??= this.ask().finally(() => {
      this.asking = undefined;
    });
    return this.asking;
  }

  /**
   * The answer if known now, without asking (undefined when not yet asked). A command that must leave
   * in this tick, to keep its order with the calls after it, goes classic while this is undefined and
   * starts the asking for next time (see `warm`).
   */
  get known(): boolean | undefined {
    if (this.protocol === 'meta') return true;
    if (this.protocol === 'classic' || !this.mayAsk) return false;
    return this.answer;
  }

  /**
   * Asks in the background, if not yet known, not being asked, and the server is not down; a failure
   * to ask is left for the next call.
   */
  warm(): void {
    if (
      this.known === undefined &&
      this.asking === undefined &&
      !this.closed &&
      this.downError() === undefined
    ) {
      this.speaksMeta().catch(() => {});
    }
  }

  /** Forgets the answer (the server went down or came back, and may be another build now). */
  forget(): void {
    this.answer = undefined;
  }

  /** The client is closing: an asking in progress ends with it, and nothing is asked again. */
  close(): Promise<void> {
    this.closed = true;
    return this.asker?.end(true) ?? Promise.resolve();
  }

  private async ask(): Promise<boolean> {
    if (this.closed) throw new ClientClosedError();
    const down = this.downError();
    if (down !== undefined) throw down;
    const connection = this.openConnection();
    this.asker = connection;
    try {
      const version = new VersionCommand(encodeVersion());
      connection.send(version);
      const text = await version.promise;
      if (!atLeast(text, FIRST_META_VERSION)) {
        this.answer = false;
        return false;
      }
      const noop = new MetaNoopCommand();
      connection.send(noop);
      this.answer = await noop.promise.then(
        () => true,
        () => false,
      );
      return this.answer;
    } finally {
      this.asker = undefined;
      void connection.end(true);
    }
  }
}

/** `version` text (`1.6.18`, `1.6.21-beta`) at or above `minimum`; false for anything unreadable. */
export function atLeast(version: string, minimum: readonly [number, number, number]): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3])];
  for (let i = 0; i < 3; i++) {
    if (parts[i]! !== minimum[i]) return parts[i]! > minimum[i]!;
  }
  return true;
}
