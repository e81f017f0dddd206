import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnFreePort } from './servers/ports.mjs';

/** The bytes of one relayed connection, in each direction. */
export interface RelayedConnection {
  /** Client to server. */
  sent: Buffer;
  /** Server to client. */
  received: Buffer;
}

export interface RecordingRelay {
  readonly port: number;
  readonly address: string;
  /** Every connection accepted so far, in order. */
  readonly connections: readonly RelayedConnection[];
  close(): Promise<void>;
}

/**
 * A TCP relay to `127.0.0.1:upstreamPort` that records what crosses it, byte for byte, so a test can
 * see what actually went over the wire (a TLS handshake, never plaintext) without touching either end.
 */
export async function startRecordingRelay(upstreamPort: number): Promise<RecordingRelay> {
  const sockets = new Set<Socket>();
  const connections: RelayedConnection[] = [];
  const track = (socket: Socket): void => {
    sockets.add(socket);
    // Either side may reset on purpose (a refused handshake); that ends the relay, nothing more.
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };

  const server = createServer((client) => {
    const record: RelayedConnection = { sent: Buffer.alloc(0), received: Buffer.alloc(0) };
    connections.push(record);
    const upstream = connect(upstreamPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      record.sent = Buffer.concat([record.sent, chunk]);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      record.received = Buffer.concat([record.received, chunk]);
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  const port = await listenOnFreePort(server);
  return {
    port,
    address: `127.0.0.1:${port}`,
    connections,
    close: () => closeAll(server, sockets),
  };
}

function closeAll(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  return new Promise((resolve) => server.close(() => resolve()));
}
