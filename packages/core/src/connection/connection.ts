import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { LoginFlow } from '../auth/login.js';
import type { ServerHealth } from '../cluster/server-health.js';
import { formatAddress, type ServerAddress } from '../config/server-address.js';
import {
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
import { publishConnectionEvent } from '../tracing.js';
import { type Command, LoginCommand, VersionCommand } from './commands.js';
import { PendingCommands } from './pending-commands.js';
import { type GetSink, RetrievalCommand } from './retrieval.js';
import { type LineSet, SetLine } from './set-line.js';
import { ServerSocket } from './socket.js';
import type { WriteTiming } from './write-timing.js';

/**
 * How single-key gets are cut into lines: about LINES_IN_FLIGHT lines for the commands this
 * connection has in flight, of at least MIN_KEYS_PER_LINE distinct keys (a getMany's own keys go up to
 * maxKeysPerGet). A tick's gets leave in one write either way, but memcached answers a line at a time,
 * and the client reads and resumes the first line's callers while it answers the rest; one line of
 * every caller makes the two take turns. Measured on one connection (bench/README.md, "Keys per get
 * line"): the best fixed line length was about a sixth of the callers at every concurrency (2 keys at
 * c=10, 6–10 at c=50, 13–16 at c=100), at 1.3–1.8× the gets per second of one line and less CPU per
 * get; keyed to the callers of one tick instead, the lines shrink tick by tick to their minimum.
 */
const LINES_IN_FLIGHT = 6;
const MIN_KEYS_PER_LINE = 2;
/**
 * While another server of the client owes replies, a tick's gets (and sets) go in one line: the client
 * has that server's replies to read while this one answers, so cutting buys no overlap and costs a line
 * each. Over three servers at c=50, 1.05–1.18× the gets and 1.16× the sets per second of lines a sixth
 * long (bench/README.md, "Keys hashed in place, and writes after the poll phase").
 */
const LINES_IN_FLIGHT_WITH_OTHERS = 1;

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
  /** When writes happen, shared by the connections of one client. */
  writeTiming: WriteTiming;
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
  private socket: ServerSocket | undefined;
  private readonly parser: ReplyParser;
  private readonly pending: PendingCommands;
  private flushScheduled = false;
  /** Another server owed replies when this tick's flush was scheduled (WriteTiming): lines are not cut. */
  private othersAnswering = false;
  private openGets: Partial<Record<RetrievalVerb, RetrievalCommand>> = {};
  /**
   * The keys of the get lines {@link Connection.retrieve} cut this tick, by verb, each to its line,
   * until the next command or the flush writes them: a key asked again in the same tick joins the
   * line that asks for it already, so a hot key read alongside other keys is still asked (and its
   * value sent) once a tick, as in one line.
   */
  private cutKeys: Partial<Record<RetrievalVerb, Map<string, RetrievalCommand>>> = {};
  /** This tick's open line of `set`s (to a server speaking meta; quiet from two), cut like the get lines. */
  private openSets: SetLine | undefined;
  /** A background probe is checking this connection's server; it is not up until it answers. */
  private probing = false;
  private ending: { permanent: boolean; done: Promise<void>; resolve: () => void } | undefined;
  /** The socket's buffer is full: the outbox waits for 'drain'. */
  private socketFull = false;
  /** The current socket was announced open on `memwire:connection`, so its close is announced too. */
  private announced = false;

  constructor(private readonly settings: ConnectionSettings) {
    this.address = formatAddress(settings.server);
    this.parser = new ReplyParser(this, { maxValueLength: settings.maxReplyValueSize });
    this.pending = new PendingCommands(
      {
        address: this.address,
        commandTimeout: settings.commandTimeout,
        maxPendingCommands: settings.maxPendingCommands,
      },
      // The server owes a reply it has not sent in time. Later replies could no longer be matched to
      // their commands, so everything on this socket fails and the connection starts afresh.
      () =>
        this.reset(
          new TimeoutError(`${this.address} did not answer within ${settings.commandTimeout} ms`, {
            server: this.address,
          }),
        ),
    );
  }

  /** Commands are on the wire, unanswered: a reply may be on its way. */
  get owesReplies(): boolean {
    return this.pending.owesReplies;
  }

  /** True when the socket is connected and logged in. */
  get isReady(): boolean {
    return this.state === 'ready';
  }

  /**
   * Queues a command; it settles through its own promise. Keeps program order with everything issued
   * before it, or, given the one `key` it reads or writes, with the writes issued before it and the
   * gets of that key: a get line of other keys stays open for the gets after it (reordering reads of
   * other keys around a write changes nothing a caller can see, and keeps a tick's gets in few lines
   * where gets and sets alternate, as a session's do).
   */
  send(command: Command, key?: string): void {
    if (key === undefined) this.sealGets();
    else this.sealGetsOf(key);
    this.sealSets();
    if (this.isFull()) {
      command.fail(this.queueFull());
      return;
    }
    this.enqueue(command);
  }

  /**
   * Puts `set` in this tick's line of sets (the caller has checked that the server speaks meta, and
   * the set carries no signal); see SetLine for when a line goes quiet. Lines are cut like the get
   * lines (see LINES_IN_FLIGHT): memcached answers a line at a time, so the client reads one line's
   * `MN` while the server takes the next.
   */
  storeInLine(set: LineSet): void {
    this.sealGetsOf(set.key);
    if (this.isFull()) {
      set.reject(this.queueFull());
      return;
    }
    let line = this.openSets;
    if (line === undefined) {
      line = new SetLine();
      this.openSets = line;
      this.scheduleFlush();
    }
    line.add(set);
    const inFlight = this.pending.load + line.size;
    const perLine = Math.max(MIN_KEYS_PER_LINE, Math.ceil(inFlight / this.linesInFlight));
    if (line.size >= Math.min(perLine, this.settings.maxKeysPerGet)) {
      this.openSets = undefined;
      this.enqueue(line);
    }
  }

  /** Asks for `key` in this tick's coalesced `get`/`gets` line. */
  retrieve(verb: RetrievalVerb, key: string, sink: GetSink): void {
    if (this.isFull()) {
      sink.fail(this.queueFull());
      return;
    }
    // A set of this key issued before, still in the open line of sets, goes first.
    if (this.openSets?.has(key) === true) this.sealSets();
    const cut = this.cutKeys[verb];
    if (cut?.get(key)?.join(key, sink) === true) return;
    const batch = this.openLine(verb);
    batch.add(key, sink);
    const inFlight = this.pending.load + batch.size;
    const perLine = Math.max(MIN_KEYS_PER_LINE, Math.ceil(inFlight / this.linesInFlight));
    if (batch.size >= Math.min(perLine, this.settings.maxKeysPerGet)) {
      this.openGets[verb] = undefined;
      this.enqueue(batch);
      const keys = cut ?? new Map<string, RetrievalCommand>();
      if (cut === undefined) this.cutKeys[verb] = keys;
      for (const asked of batch.keyList) keys.set(asked, batch);
    }
  }

  /**
   * Asks for all of `keys` (one sink, registered once per key) in this tick's coalesced line, or for
   * none of them when they would not all fit under maxPendingCommands: a refused getMany sends nothing.
   */
  retrieveMany(verb: RetrievalVerb, keys: readonly string[], sink: GetSink): void {
    if (!this.fits(keys.length)) {
      sink.fail(this.queueFull());
      return;
    }
    const max = this.settings.maxKeysPerGet;
    for (const key of keys) {
      if (this.openSets?.has(key) === true) this.sealSets();
      const batch = this.openLine(verb);
      batch.add(key, sink);
      if (batch.size >= max) {
        this.openGets[verb] = undefined;
        this.enqueue(batch);
      }
    }
  }

  /** How many lines the commands in flight are cut into (LINES_IN_FLIGHT). */
  private get linesInFlight(): number {
    return this.othersAnswering ? LINES_IN_FLIGHT_WITH_OTHERS : LINES_IN_FLIGHT;
  }

  /** This tick's open `get`/`gets` line, opened (and a flush scheduled) if there is none. */
  private openLine(verb: RetrievalVerb): RetrievalCommand {
    let batch = this.openGets[verb];
    if (batch === undefined) {
      batch = new RetrievalCommand((keys) => encodeRetrieval(verb, keys));
      this.openGets[verb] = batch;
      this.scheduleFlush();
    }
    return batch;
  }

  /** Whether {@link Connection.retrieveMany} would take `keys` keys now, under maxPendingCommands. */
  fits(keys: number): boolean {
    const { get, gets } = this.openGets;
    const open = (get?.size ?? 0) + (gets?.size ?? 0) + (this.openSets?.size ?? 0);
    return !this.pending.isFull(open + keys - 1);
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
    this.sealSets();
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
  private sendQuit(socket: ServerSocket): void {
    // Held until closed, so code awaiting close() runs before the process exits.
    socket.ref();
    this.pending.writeBytes(encodeQuit());
    // Hand everything to the socket now, full or not: end() must come after the last write, and
    // what is held here is bounded by maxPendingCommands.
    this.socketFull = false;
    this.flush();
    socket.endWithin(this.settings.commandTimeout);
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
    return !this.fits(1);
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
    // While the server is marked down only background probes connect, and no command waits on one: a
    // probe of an unreachable host can spend connectTimeout in connect.
    if (
      this.settings.health.isDown &&
      (this.state !== 'ready' || this.probing) &&
      this.ending === undefined
    ) {
      command.fail(this.settings.health.downError(Date.now()));
      return;
    }
    if (this.state === 'idle' && this.ending === undefined) this.connect();
    // A command pending holds the process, or a script awaiting it would exit first.
    if (this.settings.unrefWhenIdle) this.socket?.ref();
    if (this.state === 'ready' && this.ending === undefined) this.write(command);
    else this.pending.hold(command);
  }

  /** Puts `command` in line for its reply, written with this tick's others. */
  private write(command: Command): void {
    this.pending.write(command);
    this.scheduleFlush();
  }

  private sealGets(): void {
    // No get joins a line cut before this point: a command sent next (a set) must not be overtaken by
    // a get issued after it, and once written (the flush) a line's reply may come before a joiner.
    if (this.cutKeys.get !== undefined || this.cutKeys.gets !== undefined) this.cutKeys = {};
    const { get, gets } = this.openGets;
    if (get === undefined && gets === undefined) return;
    this.openGets = {};
    if (get !== undefined) this.enqueue(get);
    if (gets !== undefined) this.enqueue(gets);
  }

  /**
   * Before a write of `key` (or a set of it joining a line of sets): a get line asking for `key` is sent
   * first, and no later get of it joins a line cut before the write. Lines of other keys stay open.
   */
  private sealGetsOf(key: string): void {
    const cut = this.cutKeys;
    if (cut.get !== undefined) cut.get.delete(key);
    if (cut.gets !== undefined) cut.gets.delete(key);
    const { get, gets } = this.openGets;
    if (get?.has(key) === true) {
      this.openGets.get = undefined;
      this.enqueue(get);
    }
    if (gets?.has(key) === true) {
      this.openGets.gets = undefined;
      this.enqueue(gets);
    }
  }

  /** The open line of sets is sent: a command issued after it must come after its sets. */
  private sealSets(): void {
    const line = this.openSets;
    if (line === undefined) return;
    this.openSets = undefined;
    this.enqueue(line);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // At the end of the tick at the earliest: the current job and its promise continuations have issued
    // their commands by then, so a burst of concurrent calls leaves in one write and one get line.
    this.othersAnswering = this.settings.writeTiming.schedule(this, this.flush);
  }

  private readonly flush = (): void => {
    // Seal first: its writes land in this flush instead of scheduling another. Cleared even if sealing
    // throws (a socket that cannot be made), or no later command would ever schedule a flush again.
    try {
      this.sealGets();
      this.sealSets();
    } finally {
      this.flushScheduled = false;
    }
    const socket = this.socket;
    // While the socket's buffer is full, what would be written waits here ('drain' flushes again):
    // a stalled server then costs at most maxPendingCommands commands, not the process's memory.
    if (!this.pending.hasOutput || socket === undefined || this.socketFull) return;
    if (!this.pending.flushTo(socket)) this.socketFull = true;
  };

  // ---- connecting and logging in --------------------------------------------------------------

  private connect(): void {
    this.state = 'connecting';
    this.socketFull = false;
    const socket: ServerSocket = new ServerSocket(this.settings, {
      onReady: () => {
        if (this.socket === socket) this.onConnected();
      },
      onData: (chunk) => {
        if (this.socket === socket) this.onData(chunk);
      },
      onDrain: () => {
        if (this.socket !== socket) return;
        this.socketFull = false;
        this.flush();
      },
      onClose: (reason) => this.onSocketClosed(socket, reason),
    });
    this.socket = socket;
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
          this.socket?.destroy(
            new AuthError(`login to ${this.address} refused (${login.dialect} dialect): ${step.reply}`, {
              server: this.address,
            }),
          );
        }
      },
      () => {},
    );
    this.write(command);
  }

  private becomeReady(): void {
    this.state = 'ready';
    this.announced = true;
    publishConnectionEvent({ server: this.address, event: 'open' });
    if (this.probing) {
      const version = new VersionCommand(encodeVersion());
      this.write(version);
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
    this.pending.writeHeld();
    this.scheduleFlush();
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
    const command = this.pending.head();
    if (command === undefined)
      throw new ProtocolError(`reply "${line.slice(0, 80)}" with no command waiting`);
    if (command.onLine(line, this.address)) this.completeHead();
  }

  onValue(key: string, flags: number, data: Buffer, cas: string | undefined): void {
    const command = this.pending.head();
    if (command === undefined) throw new ProtocolError(`VALUE ${key} with no command waiting`);
    command.onValue(key, flags, data, cas, this.address);
  }

  onMetaValue(flags: string, data: Buffer): void {
    const command = this.pending.head();
    if (command?.onMetaValue === undefined) throw new ProtocolError('a meta VA reply to no meta command');
    if (command.onMetaValue(flags, data, this.address)) this.completeHead();
  }

  /** The head command has its whole reply. */
  private completeHead(): void {
    this.pending.complete();
    // While a quit is under way the socket stays ref'd until it closes: close() is awaited on it.
    if (this.settings.unrefWhenIdle && this.pending.isEmpty && this.ending === undefined)
      this.socket?.unref();
  }

  // ---- failure and teardown -------------------------------------------------------------------

  /** Tears the socket down; every command on it fails with `reason`. */
  private reset(reason: MemwireError): void {
    const error = reason.server === undefined ? reattribute(reason, this.address) : reason;
    const socket = this.socket;
    if (socket === undefined) return;
    socket.destroy(error);
    // Settle now rather than on 'close', which comes a turn later: a command issued in between would
    // otherwise be written to the dead socket and fail with this socket's error instead of reconnecting.
    this.onSocketClosed(socket, error);
  }

  private onSocketClosed(socket: ServerSocket, failure: Error | undefined): void {
    if (this.socket !== socket) return;
    const neverReady = this.state === 'connecting' || this.state === 'authenticating';
    this.probing = false;
    const reason =
      failure ??
      new ConnectionError(`connection to ${this.address} closed by the server`, { server: this.address });
    // A server (or a proxy, or a NAT) closing a ready connection that owed nothing, without an error,
    // only ended an idle socket (memcached's idle_timeout; a serverless instance frozen for a while):
    // the next command reconnects, and the server's health is not in question.
    const idleClose = failure === undefined && this.state === 'ready' && this.pending.isEmpty;
    this.socket = undefined;
    if (this.announced) {
      this.announced = false;
      publishConnectionEvent({ server: this.address, event: 'close' });
    }
    this.parser.reset();
    this.socketFull = false;
    this.pending.failWritten(reason);
    // Refused, reset, timed out, garbled, login refused or closed with commands owed: anything but a
    // close we asked for, or an idle one, counts towards marking the server down (ServerHealth decides).
    if (this.ending === undefined && !idleClose) this.settings.health.recordFailure(reason);
    if (neverReady) for (const command of this.pending.takeHeld()) command.fail(reason);
    const ending = this.ending;
    this.ending = undefined;
    this.state = ending?.permanent === true ? 'closed' : 'idle';
    if (this.state === 'closed') {
      for (const command of this.pending.takeHeld()) command.fail(new ClientClosedError());
    } else {
      // Commands issued during a quit: start a fresh connection for them.
      for (const command of this.pending.takeHeld()) this.enqueue(command);
    }
    ending?.resolve();
  }
}

function reattribute(error: MemwireError, server: string): MemwireError {
  return new ProtocolError(`${error.message} (from ${server})`, { server, cause: error });
}
