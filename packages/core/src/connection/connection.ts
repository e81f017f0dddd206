import type { Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { LoginFlow } from '../auth/login.js';
import type { ServerHealth } from '../cluster/server-health.js';
import { formatAddress, type ServerAddress } from '../config/server-address.js';
import {
  AbortError,
  AuthError,
  ClientClosedError,
  ConnectionError,
  MemwireError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from '../errors.js';
import {
  encodeQuit,
  encodeRetrieval,
  encodeVersion,
  type RetrievalVerb,
  type Wire,
} from '../protocol/encoder.js';
import { ReplyParser, type ReplySink } from '../protocol/parser.js';
import { CommandQueue } from './command-queue.js';
import { type Command, LoginCommand, VersionCommand } from './commands.js';
import { type GetSink, RetrievalCommand } from './retrieval.js';
import { describeSocketError, openSocket } from './socket.js';

export interface ConnectionSettings {
  server: ServerAddress;
  tls: TlsConnectionOptions | undefined;
  connectTimeout: number;
  commandTimeout: number;
  retryDelay: number;
  maxRetryDelay: number;
  keepAlive: boolean;
  maxKeysPerGet: number;
  /** The pseudo-set login to run first on every new socket, if the server needs one. */
  login: LoginFlow | undefined;
  /** The server's health, shared with the other connections to it. */
  health: ServerHealth;
  /** Largest data block a reply may declare; see ClientOptions.maxReplyValueSize. */
  maxReplyValueSize: number;
  /** Most unanswered commands (a coalesced get counts each key); see ClientOptions.maxPendingCommands. */
  maxPendingCommands: number;
  /** Unref the socket while nothing waits on it (ClientOptions.unrefWhenIdle). */
  unrefWhenIdle: boolean;
}

/**
 * - idle: no socket; the next command connects (unless the server is backing off).
 * - connecting / authenticating: commands wait, unwritten, until the socket is ready and logged in.
 * - ready: commands are written as they come (batched per tick) and pipelined.
 * - closed: close() was called; every command fails with ClientClosedError.
 */
type State = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'closed';

/**
 * One pipelined connection to one server: wires a socket, the reply parser and the queue of commands
 * awaiting replies; writes every command issued in a tick with one socket write; coalesces `get`s of
 * a tick into one line; logs in before anything else; times commands out; and reconnects lazily with
 * backoff, failing fast meanwhile so no promise ever waits on a dead server.
 */
export class Connection implements ReplySink {
  readonly address: string;
  private state: State = 'idle';
  private socket: Socket | undefined;
  private readonly parser: ReplyParser;
  /** Written, awaiting replies, in order. */
  private readonly inflight = new CommandQueue<Command>();
  /** Issued while connecting or logging in; written once ready. */
  private waiting: Command[] = [];
  /** This tick's commands, written together by flush(). */
  private readonly outbox: Wire[] = [];
  /** Whether the outbox holds only strings, which flush() joins and writes with one UTF-8 encode. */
  private outboxAllText = true;
  private flushScheduled = false;
  private openGets: Partial<Record<RetrievalVerb, RetrievalCommand>> = {};
  /** Why the current socket is being torn down, for the commands it takes with it. */
  private closeReason: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A background probe is checking this connection's server; it is not up until it answers. */
  private probing = false;
  private ending: { permanent: boolean; done: Promise<void>; resolve: () => void } | undefined;
  /** Commands in `inflight` and `waiting`, a retrieval counting one per key; ≤ maxPendingCommands. */
  private pending = 0;
  /** socket.write() said the socket's buffer is full: the outbox waits for 'drain'. */
  private socketFull = false;
  /** Commands at the tail of `inflight` whose bytes are still in the outbox, unwritten. */
  private unwritten = 0;
  /** One of the unwritten commands carries an AbortSignal, so flush() looks for aborted ones. */
  private unwrittenAbortable = false;

  constructor(private readonly settings: ConnectionSettings) {
    this.address = formatAddress(settings.server);
    this.parser = new ReplyParser(this, { maxValueLength: settings.maxReplyValueSize });
  }

  /** True when the socket is connected and logged in. */
  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** Queues a command; it settles through its own promise. Keeps program order with pending gets. */
  send(command: Command): void {
    this.sealGets();
    if (this.isFull()) {
      command.fail(this.queueFull());
      return;
    }
    this.enqueue(command);
  }

  /** Asks for `key` in this tick's coalesced `get`/`gets` line. */
  retrieve(verb: RetrievalVerb, key: string, sink: GetSink): void {
    if (this.isFull()) {
      sink.fail(this.queueFull());
      return;
    }
    let batch = this.openGets[verb];
    if (batch === undefined) {
      batch = new RetrievalCommand((keys) => encodeRetrieval(verb, keys));
      this.openGets[verb] = batch;
      this.scheduleFlush();
    }
    batch.add(key, sink);
    if (batch.size >= this.settings.maxKeysPerGet) {
      this.openGets[verb] = undefined;
      this.enqueue(batch);
    }
  }

  /**
   * Sends `quit` after everything already issued and resolves once the socket is closed. With
   * `permanent`, later commands fail with ClientClosedError; otherwise the next command reconnects.
   */
  end(permanent: boolean): Promise<void> {
    if (this.ending !== undefined) {
      if (permanent) this.ending.permanent = true;
      return this.ending.done;
    }
    if (this.state === 'closed') return Promise.resolve();
    this.sealGets();
    const socket = this.socket;
    if (socket === undefined) {
      if (permanent) this.state = 'closed';
      return Promise.resolve();
    }
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    this.ending = { permanent, done, resolve };
    // Still connecting or logging in: becomeReady() writes the commands issued so far, then quits.
    // A connect or login that never completes is bounded by connectTimeout / commandTimeout.
    if (this.state === 'ready') this.sendQuit(socket);
    return done;
  }

  /** memcached answers what came before `quit`, then closes: in-flight commands still settle. */
  private sendQuit(socket: Socket): void {
    // Held until closed, so code awaiting close() runs before the process exits.
    socket.ref();
    this.write(encodeQuit());
    // Hand everything to the socket now, full or not: end() must come after the last write, and
    // what is held here is bounded by maxPendingCommands.
    this.socketFull = false;
    this.flush();
    socket.end();
    const force = setTimeout(() => socket.destroy(), this.settings.commandTimeout);
    force.unref();
    socket.once('close', () => clearTimeout(force));
  }

  /**
   * Finds out whether a down server is back: connects (and logs in), then asks `version`. Only the
   * answer marks the server up; accepting a connection is not enough (a stalled or overloaded server
   * accepts and never answers, and would otherwise flap between up and down at callers' expense).
   * Failure reaches the health through onSocketClosed().
   */
  probe(): void {
    if (this.state !== 'idle' || this.ending !== undefined) return;
    this.probing = true;
    this.connect();
  }

  // ---- queueing and writing -------------------------------------------------------------------

  /** The open get lines count too: their keys are commands the caller is waiting on. */
  private isFull(): boolean {
    const { get, gets } = this.openGets;
    const open = (get?.size ?? 0) + (gets?.size ?? 0);
    return this.pending + open >= this.settings.maxPendingCommands;
  }

  private queueFull(): QueueFullError {
    return new QueueFullError(
      `${this.address} has ${this.settings.maxPendingCommands} commands pending (maxPendingCommands); nothing was sent`,
      { server: this.address },
    );
  }

  private enqueue(command: Command): void {
    if (this.state === 'closed' || this.ending?.permanent === true) {
      command.fail(new ClientClosedError());
      return;
    }
    const now = Date.now();
    // While the server is marked down only background probes connect, and no command waits on one: a
    // probe of an unreachable host can spend connectTimeout in connect.
    if (
      this.settings.health.isDown &&
      (this.state !== 'ready' || this.probing) &&
      this.ending === undefined
    ) {
      command.fail(this.settings.health.downError(now));
      return;
    }
    if (this.state === 'idle' && this.ending === undefined) this.connect();
    // A command pending holds the process, or a script awaiting it would exit first.
    if (this.settings.unrefWhenIdle) this.socket?.ref();
    command.deadline = now + this.settings.commandTimeout;
    this.pending += unitsOf(command);
    if (this.state === 'ready' && this.ending === undefined) {
      this.writeCommand(command);
    } else {
      this.waiting.push(command);
    }
    this.armTimer();
  }

  /** Puts `command` in line for its reply and its bytes in the outbox. */
  private writeCommand(command: Command): void {
    this.inflight.push(command);
    this.write(command.bytes);
    this.unwritten += 1;
    if (command.signal !== undefined) this.unwrittenAbortable = true;
  }

  private sealGets(): void {
    const { get, gets } = this.openGets;
    if (get === undefined && gets === undefined) return;
    this.openGets = {};
    if (get !== undefined) this.enqueue(get);
    if (gets !== undefined) this.enqueue(gets);
  }

  private write(bytes: Wire): void {
    this.outbox.push(bytes);
    if (typeof bytes !== 'string') this.outboxAllText = false;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // nextTick runs after the current job and its promise continuations have issued their commands,
    // so a burst of concurrent calls leaves in one write and one get line.
    process.nextTick(this.flush);
  }

  private readonly flush = (): void => {
    // Seal first: its writes land in this flush instead of scheduling another.
    this.sealGets();
    this.flushScheduled = false;
    const socket = this.socket;
    // While the socket's buffer is full, what would be written waits here ('drain' flushes again):
    // a stalled server then costs at most maxPendingCommands commands, not the process's memory.
    if (this.outbox.length === 0 || socket === undefined || this.socketFull) return;
    if (this.unwrittenAbortable) this.dropAborted();
    this.unwritten = 0;
    this.unwrittenAbortable = false;
    const outbox = this.outbox;
    let roomLeft = true;
    if (outbox.length === 1) {
      roomLeft = socket.write(outbox[0]!);
    } else if (this.outboxAllText) {
      // One string, one UTF-8 encode straight into the socket write: no Buffer per command.
      roomLeft = socket.write(outbox.join(''));
    } else {
      socket.cork();
      for (const bytes of outbox) roomLeft = socket.write(bytes);
      socket.uncork();
    }
    outbox.length = 0;
    this.outboxAllText = true;
    if (!roomLeft) this.socketFull = true;
  };

  /**
   * Takes the commands whose signal fired out of the outbox and of `inflight` before they are
   * written: the caller gave up, so the server never sees them (a `set` the caller cancelled must not
   * happen). Unwritten commands are the tail of `inflight`, in outbox order; the outbox may also hold
   * `quit`, which belongs to no command.
   */
  private dropAborted(): void {
    const tail = this.inflight.popTail(this.unwritten);
    const kept: Wire[] = [];
    let next = 0;
    let allText = true;
    for (const bytes of this.outbox) {
      const command = tail[next];
      if (command !== undefined && command.bytes === bytes) {
        next += 1;
        if (command.signal?.aborted === true) {
          this.pending -= unitsOf(command);
          command.fail(new AbortError(undefined, { cause: command.signal.reason }));
          continue;
        }
        this.inflight.push(command);
      }
      kept.push(bytes);
      if (typeof bytes !== 'string') allText = false;
    }
    this.outbox.length = 0;
    this.outbox.push(...kept);
    this.outboxAllText = allText;
  }

  // ---- connecting and logging in --------------------------------------------------------------

  private connect(): void {
    this.state = 'connecting';
    this.closeReason = undefined;
    this.socketFull = false;
    const { socket, readyEvent } = openSocket(this.settings);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('drain', () => {
      if (this.socket !== socket) return;
      this.socketFull = false;
      this.flush();
    });
    const connectTimer = setTimeout(() => {
      this.closeReason = new TimeoutError(
        `connecting to ${this.address} timed out after ${this.settings.connectTimeout} ms`,
        { server: this.address },
      );
      socket.destroy();
    }, this.settings.connectTimeout);
    connectTimer.unref();
    socket.once(readyEvent, () => {
      clearTimeout(connectTimer);
      if (this.settings.keepAlive) socket.setKeepAlive(true, 30_000);
      this.onConnected();
    });
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      if (this.socket === socket) this.onData(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const tls = this.settings.tls !== undefined;
      // memcached -Z resets a plain-text connection without a word: say what that usually means.
      const hint =
        !tls && !answered && error.code === 'ECONNRESET'
          ? ' before answering (does the server require TLS?)'
          : '';
      this.closeReason ??= new ConnectionError(
        `connection to ${this.address} failed: ${describeSocketError(error, tls)}${hint}`,
        { server: this.address, cause: error },
      );
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      this.onSocketClosed(socket);
    });
  }

  private onConnected(): void {
    const login = this.settings.login;
    if (login === undefined) {
      this.becomeReady();
      return;
    }
    this.state = 'authenticating';
    this.sendLogin(login.start());
  }

  private sendLogin(bytes: Wire): void {
    const login = this.settings.login!;
    const command = new LoginCommand(
      bytes,
      (line) => {
        const step = login.onReply(line);
        if (step.kind === 'ok') this.becomeReady();
        else if (step.kind === 'retry') this.sendLogin(step.bytes);
        else {
          // The server's reply names no credential; keep it for the operator.
          this.closeReason = new AuthError(
            `login to ${this.address} refused (${login.dialect} dialect): ${step.reply}`,
            {
              server: this.address,
            },
          );
          this.socket?.destroy();
        }
      },
      () => {},
    );
    command.deadline = Date.now() + this.settings.commandTimeout;
    this.pending += 1;
    this.writeCommand(command);
    this.armTimer();
  }

  private becomeReady(): void {
    this.state = 'ready';
    if (this.probing) {
      const version = new VersionCommand(encodeVersion());
      version.deadline = Date.now() + this.settings.commandTimeout;
      this.pending += 1;
      this.writeCommand(version);
      this.armTimer();
      version.promise.then(
        () => {
          this.probing = false;
          this.settings.health.recordSuccess();
        },
        () => {}, // a failed probe closes the socket: onSocketClosed records it
      );
    } else {
      this.settings.health.recordSuccess();
    }
    const waiting = this.waiting;
    this.waiting = [];
    for (const command of waiting) {
      if (command.signal?.aborted === true) {
        // Aborted while the connection was being made: never written, so never run.
        this.pending -= unitsOf(command);
        command.fail(new AbortError(undefined, { cause: command.signal.reason }));
        continue;
      }
      this.writeCommand(command);
    }
    if (this.ending !== undefined) this.sendQuit(this.socket!);
  }

  // ---- replies --------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
    } catch (error) {
      this.reset(
        error instanceof MemwireError
          ? error
          : new ProtocolError(String(error), { server: this.address, cause: error }),
      );
    }
  }

  onLine(line: string): void {
    const command = this.inflight.peek();
    if (command === undefined)
      throw new ProtocolError(`reply "${line.slice(0, 80)}" with no command waiting`);
    if (command.onLine(line, this.address)) {
      this.inflight.shift();
      this.pending -= unitsOf(command);
      if (this.settings.unrefWhenIdle && this.inflight.length === 0 && this.waiting.length === 0) {
        this.socket?.unref();
      }
    }
  }

  onValue(key: string, flags: number, data: Buffer, cas: string | undefined): void {
    const command = this.inflight.peek();
    if (command === undefined) throw new ProtocolError(`VALUE ${key} with no command waiting`);
    command.onValue(key, flags, data, cas, this.address);
  }

  // ---- failure, timeouts and teardown ----------------------------------------------------------

  /** Tears the socket down; every command on it fails with `reason`. */
  private reset(reason: MemwireError): void {
    const error = reason.server === undefined ? reattribute(reason, this.address) : reason;
    const socket = this.socket;
    if (socket === undefined) return;
    this.closeReason = error;
    socket.destroy();
    // Settle now rather than on 'close', which comes a turn later: a command issued in between would
    // otherwise be written to the dead socket and fail with this socket's error instead of reconnecting.
    this.onSocketClosed(socket);
  }

  private onSocketClosed(socket: Socket): void {
    if (this.socket !== socket) return;
    const neverReady = this.state === 'connecting' || this.state === 'authenticating';
    this.probing = false;
    const reason =
      this.closeReason ??
      new ConnectionError(`connection to ${this.address} closed by the server`, { server: this.address });
    this.socket = undefined;
    this.closeReason = undefined;
    this.parser.reset();
    this.outbox.length = 0;
    this.outboxAllText = true;
    this.socketFull = false;
    this.unwritten = 0;
    this.unwrittenAbortable = false;
    // Every command leaves both queues below: failed, or enqueued afresh (which counts it again).
    this.pending = 0;
    for (const command of this.inflight.drain()) command.fail(reason);
    // Refused, reset, timed out, garbled or login refused: anything but a close we asked for counts
    // towards marking the server down (ServerHealth decides when).
    if (this.ending === undefined) this.settings.health.recordFailure(reason);
    if (neverReady) {
      const waiting = this.waiting;
      this.waiting = [];
      for (const command of waiting) command.fail(reason);
    }
    const ending = this.ending;
    this.ending = undefined;
    this.state = ending?.permanent === true ? 'closed' : 'idle';
    if (this.state === 'closed') {
      for (const command of this.waiting) command.fail(new ClientClosedError());
      this.waiting = [];
    } else if (this.waiting.length > 0) {
      // Commands issued during a quit: start a fresh connection for them.
      const waiting = this.waiting;
      this.waiting = [];
      for (const command of waiting) this.enqueue(command);
    }
    if (this.inflight.length === 0 && this.waiting.length === 0) this.clearTimer();
    ending?.resolve();
  }

  /** One timer per connection, for the oldest command: replies come in order, so it bounds them all. */
  private armTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.onTimer, this.settings.commandTimeout);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = Date.now();
    const head = this.inflight.peek();
    if (head !== undefined && head.deadline <= now) {
      // The server owes a reply it has not sent in time. Later replies could no longer be matched to
      // their commands, so everything on this socket fails and the connection starts afresh.
      this.reset(
        new TimeoutError(`${this.address} did not answer within ${this.settings.commandTimeout} ms`, {
          server: this.address,
        }),
      );
    }
    while (this.waiting.length > 0 && this.waiting[0]!.deadline <= now) {
      const command = this.waiting.shift()!;
      this.pending -= unitsOf(command);
      command.fail(
        new TimeoutError(`no connection to ${this.address} within ${this.settings.commandTimeout} ms`, {
          server: this.address,
        }),
      );
    }
    const next = this.inflight.peek() ?? this.waiting[0];
    if (next !== undefined) {
      this.timer = setTimeout(this.onTimer, Math.max(1, next.deadline - now));
      this.timer.unref();
    }
  };
}

/** A coalesced get line holds one caller per key; any other command, one. */
function unitsOf(command: Command): number {
  return command instanceof RetrievalCommand ? command.size : 1;
}

function reattribute(error: MemwireError, server: string): MemwireError {
  return new ProtocolError(`${error.message} (from ${server})`, { server, cause: error });
}
