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
  /** The sink of `keys[i]`, index for index, or its callers' sinks when several asked for it. */
  private readonly sinks: (GetSink | GetSink[])[] = [];
  /** key → its index in `keys`, made at the second key: a line of one key (a get at low load) has none. */
  private index: Map<string, number> | undefined;
  /**
   * Where the next VALUE's key is looked for first: memcached answers in the order asked, leaving out
   * the misses, so a reply is matched by one pass over `keys`. -1 once a reply came out of that order
   * (a proxy may gather a multi-get's parts as they come): then by `index`.
   */
  private next = 0;
  /** END or a failure reached its sinks: a sink joining now would never settle. */
  private settled = false;

  constructor(private readonly encode: (keys: readonly string[]) => Wire) {}

  get size(): number {
    return this.keys.length;
  }

  /** The distinct keys asked, in order. */
  get keyList(): readonly string[] {
    return this.keys;
  }

  get bytes(): Wire {
    this.encoded ??= this.encode(this.keys);
    return this.encoded;
  }

  /** Whether this line asks for `key`. */
  has(key: string): boolean {
    return this.index !== undefined ? this.index.has(key) : this.keys[0] === key;
  }

  /**
   * Adds `sink` to `key`'s slot if this line asks for it already and has not settled: a line sealed
   * this tick, not yet written, takes more callers of its keys without changing its bytes or size.
   */
  join(key: string, sink: GetSink): boolean {
    if (this.settled) return false;
    const slot = this.index !== undefined ? this.index.get(key) : this.keys[0] === key ? 0 : undefined;
    if (slot === undefined) return false;
    const existing = this.sinks[slot]!;
    if (Array.isArray(existing)) existing.push(sink);
    else this.sinks[slot] = [existing, sink];
    return true;
  }

  add(key: string, sink: GetSink): void {
    const keys = this.keys;
    const slot = this.index !== undefined ? this.index.get(key) : keys[0] === key ? 0 : undefined;
    if (slot === undefined) {
      if (keys.length === 1) this.index = new Map([[keys[0]!, 0]]);
      this.index?.set(key, keys.length);
      keys.push(key);
      this.sinks.push(sink);
      return;
    }
    const existing = this.sinks[slot]!;
    if (Array.isArray(existing)) existing.push(sink);
    else this.sinks[slot] = [existing, sink];
  }

  onValue(key: string, flags: number, data: Buffer, cas: string | undefined, server: string): void {
    const slot = this.slotOf(key);
    if (slot === undefined)
      throw new ProtocolError(`VALUE for a key that was not asked for: ${key}`, { server });
    const sinks = this.sinks[slot]!;
    if (Array.isArray(sinks)) for (const sink of sinks) sink.hit(key, flags, data, cas);
    else sinks.hit(key, flags, data, cas);
  }

  private slotOf(key: string): number | undefined {
    const keys = this.keys;
    if (this.next !== -1) {
      let slot = this.next;
      while (slot < keys.length && keys[slot] !== key) slot++;
      if (slot < keys.length) {
        this.next = slot + 1;
        return slot;
      }
      this.next = -1;
    }
    return this.index !== undefined ? this.index.get(key) : keys[0] === key ? 0 : undefined;
  }

  onLine(line: string, server: string): boolean {
    if (line === 'END') {
      this.settled = true;
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
    this.settled = true;
    this.forEachSink((sink) => sink.fail(error));
  }

  private forEachSink(fn: (sink: GetSink) => void): void {
    for (const sinks of this.sinks) {
      if (Array.isArray(sinks)) for (const sink of sinks) fn(sink);
      else fn(sinks);
    }
  }
}
