import { ProtocolError } from '../errors.js';
import type { Wire } from '../protocol/encoder.js';
import { errorReply } from '../protocol/replies.js';
import type { Command } from './commands.js';

/**
 * Receives the outcome of one key of a retrieval command. A sink may be registered under several keys
 * (a `getMany`) and in several commands; it gets `hit` for each value, `end` once per registration
 * when the reply is complete, and `fail` (once per registration) if the command fails. Sinks ignore
 * calls after they have settled, so an aborted caller costs nothing.
 */
export interface GetSink {
  hit(key: string, flags: number, data: Buffer, cas: string | undefined): void;
  end(): void;
  fail(error: Error): void;
}

/**
 * One `get`/`gets`/`gat`/`gats` line for many keys, answered by `VALUE` blocks then `END`.
 * Concurrent gets for the same server are coalesced into one of these (a key asked twice shares one
 * slot), and each key's sinks learn of a hit as soon as its VALUE arrives.
 */
export class RetrievalCommand implements Command {
  deadline = 0;
  /** Set for `gat`/`gats`, which change the item; coalesced `get`s carry no signal (nothing to undo). */
  signal: AbortSignal | undefined = undefined;
  private encoded: Wire | undefined;
  private readonly keys: string[] = [];
  private readonly sinks = new Map<string, GetSink | GetSink[]>();

  constructor(private readonly encode: (keys: readonly string[]) => Wire) {}

  get size(): number {
    return this.keys.length;
  }

  get bytes(): Wire {
    this.encoded ??= this.encode(this.keys);
    return this.encoded;
  }

  add(key: string, sink: GetSink): void {
    const existing = this.sinks.get(key);
    if (existing === undefined) {
      this.sinks.set(key, sink);
      this.keys.push(key);
    } else if (Array.isArray(existing)) {
      existing.push(sink);
    } else {
      this.sinks.set(key, [existing, sink]);
    }
  }

  onValue(key: string, flags: number, data: Buffer, cas: string | undefined, server: string): void {
    const sinks = this.sinks.get(key);
    if (sinks === undefined)
      throw new ProtocolError(`VALUE for a key that was not asked for: ${key}`, { server });
    if (Array.isArray(sinks)) for (const sink of sinks) sink.hit(key, flags, data, cas);
    else sinks.hit(key, flags, data, cas);
  }

  onLine(line: string, server: string): boolean {
    if (line === 'END') {
      this.forEachSink((sink) => sink.end());
      return true;
    }
    const error = errorReply(line, server);
    if (error === undefined)
      throw new ProtocolError(`unexpected reply "${line.slice(0, 80)}" to a get`, { server });
    this.fail(error);
    return true;
  }

  fail(error: Error): void {
    this.forEachSink((sink) => sink.fail(error));
  }

  private forEachSink(fn: (sink: GetSink) => void): void {
    for (const sinks of this.sinks.values()) {
      if (Array.isArray(sinks)) for (const sink of sinks) fn(sink);
      else fn(sinks);
    }
  }
}
