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
  const { host, port } = settings.server;
  if (settings.tls !== undefined) {
    // SNI must be a hostname, never an IP address (RFC 6066 §3).
    const servername = settings.tls.servername ?? (net.isIP(host) === 0 ? host : undefined);
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
