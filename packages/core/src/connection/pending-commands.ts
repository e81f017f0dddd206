import { AbortError, TimeoutError } from '../errors.js';
import type { Wire } from '../protocol/encoder.js';
import { CommandQueue } from './command-queue.js';
import type { Command } from './commands.js';
import { MetaBatchCommand } from './meta-commands.js';
import { RetrievalCommand } from './retrieval.js';
import { SetLine } from './set-line.js';
import type { ChunkWriter } from './socket.js';

export interface PendingSettings {
  /** `server:port`, for the errors. */
  address: string;
  commandTimeout: number;
  maxPendingCommands: number;
}

/**
 * Every command one connection owes an answer for, and the bytes it has still to write:
 * - held: issued while connecting or logging in; written once the connection is ready;
 * - written: in line for a reply, in order (memcached answers in order, so the head is the command
 *   the next reply belongs to). The tail of this line may still sit in the outbox, unwritten.
 *
 * Each command gets its deadline when admitted, and one timer bounds them all: the oldest written
 * command's reply being late means later replies could no longer be matched to their commands, so
 * `onOverdue` tells the connection to start afresh; a held command past its deadline fails alone.
 * Knows no socket: `flushTo` hands the outbox to whatever writes it.
 */
export class PendingCommands {
  private readonly written = new CommandQueue<Command>();
  private held: Command[] = [];
  /** Commands written and held, a coalesced get counting one per key; bounded by maxPendingCommands. */
  private units = 0;
  /** Bytes not yet handed to the socket, in order: the written line's tail, and maybe a `quit`. */
  private readonly outbox: Wire[] = [];
  /** Whether the outbox holds only strings, which the writer joins and encodes once. */
  private outboxAllText = true;
  /** Commands at the tail of `written` whose bytes are still in the outbox. */
  private unwritten = 0;
  /** One of the unwritten commands carries an AbortSignal, so flushTo() looks for aborted ones. */
  private unwrittenAbortable = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: PendingSettings,
    /** The head of the written line is past its deadline: the connection must be torn down. */
    private readonly onOverdue: () => void,
  ) {}

  /** Whether `extra` more units (callers of open get lines) would reach maxPendingCommands. */
  isFull(extra: number): boolean {
    return this.units + extra >= this.settings.maxPendingCommands;
  }

  /** Units written and held (a get line counting one per key): what this connection has in flight. */
  get load(): number {
    return this.units;
  }

  /** Nothing written or held. */
  get isEmpty(): boolean {
    return this.written.length === 0 && this.held.length === 0;
  }

  /** Some command has been handed to the socket and not answered (the unwritten tail aside). */
  get owesReplies(): boolean {
    return this.written.length > this.unwritten;
  }

  get hasOutput(): boolean {
    return this.outbox.length > 0;
  }

  /** The command the next reply belongs to. */
  head(): Command | undefined {
    return this.written.peek();
  }

  /** Admits `command` and puts its bytes in the outbox, in line for its reply. */
  write(command: Command): void {
    this.admit(command);
    this.toOutbox(command);
  }

  /** Admits `command` to wait, unwritten, until `writeHeld()`. */
  hold(command: Command): void {
    this.admit(command);
    this.held.push(command);
  }

  /** Bytes that belong to no command (`quit`). */
  writeBytes(bytes: Wire): void {
    this.outbox.push(bytes);
    if (typeof bytes !== 'string') this.outboxAllText = false;
  }

  /** The connection is ready: the held commands go in line, except those whose caller gave up. */
  writeHeld(): void {
    const held = this.held;
    this.held = [];
    for (const command of held) {
      // Aborted while the connection was being made: never written, so never run.
      if (command.signal?.aborted === true) this.abort(command);
      else this.toOutbox(command);
    }
  }

  /** The head's reply is complete. */
  complete(): void {
    const command = this.written.shift();
    if (command !== undefined) this.units -= unitsOf(command);
  }

  /**
   * Hands the outbox to `writer`, first taking out the commands whose caller gave up before they were
   * written (a `set` the caller cancelled must not happen). Returns false when the writer's buffer is
   * full.
   */
  flushTo(writer: ChunkWriter): boolean {
    if (this.unwrittenAbortable) this.dropAborted();
    this.unwritten = 0;
    this.unwrittenAbortable = false;
    const roomLeft = writer.writeChunks(this.outbox, this.outboxAllText);
    this.outbox.length = 0;
    this.outboxAllText = true;
    return roomLeft;
  }

  /** The socket is gone: every written command fails with `reason`, and unwritten bytes are dropped. */
  failWritten(reason: Error): void {
    this.outbox.length = 0;
    this.outboxAllText = true;
    this.unwritten = 0;
    this.unwrittenAbortable = false;
    for (const command of this.written.drain()) {
      this.units -= unitsOf(command);
      command.fail(reason);
    }
    this.stopTimerIfEmpty();
  }

  /** Takes the held commands out (to fail them, or to admit them again on a fresh connection). */
  takeHeld(): Command[] {
    const held = this.held;
    this.held = [];
    for (const command of held) this.units -= unitsOf(command);
    this.stopTimerIfEmpty();
    return held;
  }

  private admit(command: Command): void {
    // Monotonic: a wall clock stepped back (NTP, a resumed VM) must not postpone a timeout, nor one
    // stepped forward fire it early.
    command.deadline = performance.now() + this.settings.commandTimeout;
    this.units += unitsOf(command);
    this.arm(this.settings.commandTimeout);
  }

  private toOutbox(command: Command): void {
    this.written.push(command);
    this.writeBytes(command.bytes);
    this.unwritten += 1;
    if (command.signal !== undefined) this.unwrittenAbortable = true;
  }

  private abort(command: Command): void {
    this.units -= unitsOf(command);
    command.fail(new AbortError(undefined, { cause: command.signal?.reason }));
  }

  /**
   * The unwritten commands are the tail of `written`, in outbox order; the outbox may also hold
   * `quit`, which belongs to no command.
   */
  private dropAborted(): void {
    const tail = this.written.popTail(this.unwritten);
    const kept: Wire[] = [];
    let next = 0;
    let allText = true;
    for (const bytes of this.outbox) {
      const command = tail[next];
      if (command !== undefined && command.bytes === bytes) {
        next += 1;
        if (command.signal?.aborted === true) {
          this.abort(command);
          continue;
        }
        this.written.push(command);
      }
      kept.push(bytes);
      if (typeof bytes !== 'string') allText = false;
    }
    this.outbox.length = 0;
    this.outbox.push(...kept);
    this.outboxAllText = allText;
  }

  /** Starts the one timer unless it runs already (it is then due no later than `delay` from now). */
  private arm(delay: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.onTimer, Math.max(1, delay));
    this.timer.unref();
  }

  private stopTimerIfEmpty(): void {
    if (this.timer === undefined || !this.isEmpty) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const head = this.written.peek();
    // The connection tears down and may admit commands again, which arms a fresh timer: arm() below
    // then leaves that one alone rather than start a second.
    if (head !== undefined && head.deadline <= now) this.onOverdue();
    while (this.held.length > 0 && this.held[0]!.deadline <= now) {
      const command = this.held.shift()!;
      this.units -= unitsOf(command);
      command.fail(
        new TimeoutError(
          `no connection to ${this.settings.address} within ${this.settings.commandTimeout} ms`,
          { server: this.settings.address },
        ),
      );
    }
    const next = this.written.peek() ?? this.held[0];
    if (next !== undefined) this.arm(next.deadline - now);
  };
}

/**
 * A coalesced get line holds one caller per key, a quiet meta batch or line one command per key; any
 * other command, one.
 */
function unitsOf(command: Command): number {
  return command instanceof RetrievalCommand ||
    command instanceof MetaBatchCommand ||
    command instanceof SetLine
    ? command.size
    : 1;
}
