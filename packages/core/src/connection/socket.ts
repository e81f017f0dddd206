import net from 'node:net';
import tls from 'node:tls';
import type { ServerAddress } from '../config/server-address.js';

export interface SocketSettings {
  server: ServerAddress;
  /** Node TLS options, or undefined for plain TCP. */
  tls: tls.ConnectionOptions | undefined;
}

/**
 * Opens a TCP or TLS socket to one server. Returns the socket and the event that means "ready to
 * write": `connect` for TCP, `secureConnect` for TLS (after the handshake and certificate checks).
 */
export function openSocket(settings: SocketSettings): {
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
