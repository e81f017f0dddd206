import net from 'node:net';
import tls from 'node:tls';
import { formatAddress, type ServerAddress } from '../config/server-address.js';
import { ConnectionError, TimeoutError } from '../errors.js';
import { joinedText, type Wire } from '../protocol/encoder.js';

export interface SocketSettings {
  server: ServerAddress;
  /** Node TLS options, or undefined for plain TCP. */
  tls: tls.ConnectionOptions | undefined;
  connectTimeout: number;
  keepAlive: boolean;
}

/** What a ServerSocket tells its owner. Each is called only for events of this socket. */
export interface SocketEvents {
  /** Connected (and, for TLS, the handshake and certificate checks passed): ready to write. */
  onReady(): void;
  onData(chunk: Buffer): void;
  /** A write that returned false has been flushed: writing may go on. */
  onDrain(): void;
  /** The socket is closed; `reason` says why if it failed or was destroyed with a reason. */
  onClose(reason: Error | undefined): void;
}

/** Writes the chunks of one flush; returns false when the socket's buffer is full (wait for drain). */
export interface ChunkWriter {
  writeChunks(chunks: readonly Wire[], allText: boolean): boolean;
}

/**
 * One TCP or TLS socket to one server: connects within connectTimeout, writes a flush's chunks with
 * as few encodes and syscalls as it can, reports backpressure, and remembers why it is going down so
 * the commands it takes with it fail with the real cause.
 */
export class ServerSocket implements ChunkWriter {
  private readonly socket: net.Socket;
  /** Why the socket is being torn down; the first socket error, or the reason given to destroy(). */
  private failure: Error | undefined;

  constructor(settings: SocketSettings, events: SocketEvents) {
    const address = formatAddress(settings.server);
    const { socket, readyEvent } = openSocket(settings);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('drain', () => events.onDrain());
    const connectTimer = setTimeout(() => {
      this.destroy(
        new TimeoutError(`connecting to ${address} timed out after ${settings.connectTimeout} ms`, {
          server: address,
        }),
      );
    }, settings.connectTimeout);
    connectTimer.unref();
    socket.once(readyEvent, () => {
      clearTimeout(connectTimer);
      if (settings.keepAlive) socket.setKeepAlive(true, 30_000);
      events.onReady();
    });
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      events.onData(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const isTls = settings.tls !== undefined;
      // memcached -Z resets a plain-text connection without a word: say what that usually means.
      const hint =
        !isTls && !answered && error.code === 'ECONNRESET'
          ? ' before answering (does the server require TLS?)'
          : '';
      this.failure ??= new ConnectionError(
        `connection to ${address} failed: ${describeSocketError(error, isTls)}${hint}`,
        { server: address, cause: error },
      );
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      events.onClose(this.failure);
    });
  }

  writeChunks(chunks: readonly Wire[], allText: boolean): boolean {
    const socket = this.socket;
    if (chunks.length === 1) return socket.write(chunks[0]!);
    // One string, one UTF-8 encode straight into the socket write: no Buffer per command. (Several
    // strings only for a flush past MAX_JOINED_TEXT units, which one string could not hold.)
    const parts = allText ? joinedText(chunks as readonly string[]) : chunks;
    if (parts.length === 1) return socket.write(parts[0]!);
    let roomLeft = true;
    socket.cork();
    for (const bytes of parts) roomLeft = socket.write(bytes);
    socket.uncork();
    return roomLeft;
  }

  /** Closes at once; onClose() gets `reason` (or the socket's own error if none is given). */
  destroy(reason?: Error): void {
    if (reason !== undefined) this.failure = reason;
    this.socket.destroy();
  }

  /** Half-closes after what was written; destroys the socket if the server has not closed within `ms`. */
  endWithin(ms: number): void {
    const socket = this.socket;
    socket.end();
    const force = setTimeout(() => socket.destroy(), ms);
    force.unref();
    socket.once('close', () => clearTimeout(force));
  }

  /** Holds the process open while something waits on this socket. */
  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }
}

/**
 * Opens a TCP or TLS socket to one server. Returns the socket and the event that means "ready to
 * write": `connect` for TCP, `secureConnect` for TLS (after the handshake and certificate checks).
 */
export function openSocket(settings: Pick<SocketSettings, 'server' | 'tls'>): {
  socket: net.Socket;
  readyEvent: 'connect' | 'secureConnect';
} {
  const { host: name, port } = settings.server;
  const host = settings.server.ip ?? name;
  if (settings.tls !== undefined) {
    // SNI must be a hostname, never an IP address (RFC 6066 §3).
    const servername = settings.tls.servername ?? (net.isIP(name) === 0 ? name : undefined);
    const socket = tls.connect({
      ...settings.tls,
      host,
      port,
      ...(servername === undefined ? {} : { servername }),
    });
    return { socket, readyEvent: 'secureConnect' };
  }
  return { socket: net.connect({ host, port }), readyEvent: 'connect' };
}

/**
 * What went wrong on a socket, in words a user can act on. A system call's failure is known by its
 * code (ECONNREFUSED, ECONNRESET). A TLS failure has no system call, and its code alone
 * (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_SSL_WRONG_VERSION_NUMBER) hides that TLS failed and why,
 * so it gets OpenSSL's short reason, or the first clause of Node's message (Node appends a hint
 * about --use-system-ca after a ";"), with the code kept for searching.
 */
export function describeSocketError(
  error: NodeJS.ErrnoException & { reason?: unknown },
  tls: boolean,
): string {
  if (!tls || error.syscall !== undefined) return error.code ?? error.message;
  const why = typeof error.reason === 'string' ? error.reason : error.message.split(';')[0]!.trim();
  return error.code === undefined ? `TLS error: ${why}` : `TLS error: ${why} (${error.code})`;
}
