import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ServerSocket, type SocketEvents, type SocketSettings } from '../../src/connection/socket.js';
import { ConnectionError, TimeoutError } from '../../src/errors.js';

/** A TCP server that accepts and never says a word (a stalled server, or a TLS port that never handshakes). */
async function silentServer(): Promise<{ port: number; sockets: net.Socket[]; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function events(): SocketEvents & { ready: Promise<void>; closed: Promise<Error | undefined> } {
  let ready!: () => void;
  let closed!: (reason: Error | undefined) => void;
  return {
    ready: new Promise((resolve) => {
      ready = resolve;
    }),
    closed: new Promise((resolve) => {
      closed = resolve;
    }),
    onReady: () => ready(),
    onData: () => {},
    onDrain: () => {},
    onClose: (reason) => closed(reason),
  };
}

const settings = (
  port: number,
  overrides: { tls?: SocketSettings['tls']; connectTimeout?: number } = {},
): SocketSettings => ({
  server: { host: '127.0.0.1', port, weight: 1 },
  tls: overrides.tls,
  connectTimeout: overrides.connectTimeout ?? 2_000,
  keepAlive: false,
});

describe('ServerSocket', () => {
  let server: Awaited<ReturnType<typeof silentServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('a TLS handshake that never completes closes with a TimeoutError after connectTimeout', async () => {
    server = await silentServer();
    const seen = events();
    new ServerSocket(settings(server.port, { tls: {}, connectTimeout: 100 }), seen);
    const reason = await seen.closed;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect((reason as TimeoutError).server).toBe(`127.0.0.1:${server.port}`);
  });

  test('a refused connection closes with a ConnectionError naming the server and the code', async () => {
    server = await silentServer();
    const port = server.port;
    await server.close();
    server = undefined;
    const seen = events();
    new ServerSocket(settings(port), seen);
    const reason = await seen.closed;
    expect(reason).toBeInstanceOf(ConnectionError);
    expect((reason as ConnectionError).message).toContain('ECONNREFUSED');
  });

  test('destroy(reason) closes it with that reason', async () => {
    server = await silentServer();
    const seen = events();
    const socket = new ServerSocket(settings(server.port), seen);
    await seen.ready;
    const reason = new ConnectionError('torn down');
    socket.destroy(reason);
    expect(await seen.closed).toBe(reason);
  });

  test('endWithin destroys the socket when the server does not close in time', async () => {
    server = await silentServer();
    const seen = events();
    const socket = new ServerSocket(settings(server.port), seen);
    await seen.ready;
    socket.endWithin(50);
    // The silent server never ends its side: only the forced destroy can close the socket.
    expect(await seen.closed).toBeUndefined();
  });

  test('writes several chunks of one flush in order', async () => {
    server = await silentServer();
    const seen = events();
    const socket = new ServerSocket(settings(server.port), seen);
    await seen.ready;
    while (server.sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const peer = server.sockets[0]!;
    let received = '';
    peer.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.writeChunks(['a\r\n', Buffer.from('b\r\n'), 'c\r\n'], false);
    socket.writeChunks(['d\r\n', 'e\r\n'], true);
    while (received.length < 15) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received).toBe('a\r\nb\r\nc\r\nd\r\ne\r\n');
    socket.destroy();
    await seen.closed;
  });
});
