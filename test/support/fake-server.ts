import { createServer, type Server, type Socket } from 'node:net';
import { listenOnFreePort } from './servers/ports.mjs';

export interface FakeServer {
  readonly port: number;
  readonly address: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Every byte received on every connection, concatenated in arrival order. */
  readonly received: Buffer;
  close(): Promise<void>;
}

/** Bytes received on one connection so far, including the chunk being handled. */
export interface FakeConnectionState {
  received: Buffer;
}

export type FakeDataHandler = (socket: Socket, chunk: Buffer, state: FakeConnectionState) => void;

/**
 * A TCP server whose replies are entirely up to `onData`, for the faults a real memcached will not produce:
 * stalling, answering garbage, cutting a connection mid-reply. `state` is per connection, so a handler can
 * wait for a whole command on that connection before acting.
 */
export async function startFakeServer(
  onData: FakeDataHandler,
  /** allowHalfOpen: stay open after the client half-closes (as memcached does after `quit`) until the handler ends it. */
  options: { allowHalfOpen?: boolean } = {},
): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  let received = Buffer.alloc(0);
  let connections = 0;

  const server = createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    connections += 1;
    sockets.add(socket);
    const state: FakeConnectionState = { received: Buffer.alloc(0) };
    // Clients that give up reset the connection; that is expected here, not a test failure.
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      state.received = Buffer.concat([state.received, chunk]);
      onData(socket, chunk, state);
    });
  });

  const port = await listenOnFreePort(server);
  return {
    port,
    address: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get received() {
      return received;
    },
    close: () => closeServer(server, sockets),
  };
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  return new Promise((resolve) => server.close(() => resolve()));
}
