import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnFreePort } from './servers/ports.mjs';

export type FrontDialect = 'memcachier' | 'ironcache';

export interface AuthFrontOptions {
  dialect: FrontDialect;
  upstreamPort: number;
  /** memcachier: the pseudo-set key. */
  username?: string;
  /** memcachier: the pseudo-set value. */
  password?: string;
  /** ironcache: first word of the value of `set oauth …`. */
  token?: string;
  /** ironcache: second word. */
  projectId?: string;
  /** ironcache: third word. */
  cacheName?: string;
}

export interface AuthFront {
  readonly port: number;
  readonly address: string;
  /** Successful logins. */
  readonly logins: number;
  /** Refused logins. */
  readonly failures: number;
  /** Connections accepted. */
  readonly connections: number;
  close(): Promise<void>;
}

const AUTH_FAILURE = 'CLIENT_ERROR authentication failure\r\n';
const UNAUTHENTICATED = 'CLIENT_ERROR unauthenticated\r\n';
const CRLF = Buffer.from('\r\n');
/** A login line longer than this is not a login; stops a confused client from growing the buffer forever. */
const MAX_LINE = 4096;

type Check = (key: string, data: string) => boolean;

/**
 * Speaks a hosted service's pseudo-set login in front of a real memcached, so the client's auth can be
 * tested against dialects that have no server here. After a good login it relays bytes untouched.
 */
export async function startAuthFront(options: AuthFrontOptions): Promise<AuthFront> {
  const check = credentialCheck(options);
  const sockets = new Set<Socket>();
  const stats = { logins: 0, failures: 0, connections: 0 };

  const track = (socket: Socket): void => {
    sockets.add(socket);
    // Resets from either side are part of the tests this serves; they end the relay, nothing more.
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };

  const server = createServer((client) => {
    stats.connections += 1;
    track(client);
    handleConnection(client, check, options.upstreamPort, stats, track);
  });

  const port = await listenOnFreePort(server);
  return {
    port,
    address: `127.0.0.1:${port}`,
    get logins() {
      return stats.logins;
    },
    get failures() {
      return stats.failures;
    },
    get connections() {
      return stats.connections;
    },
    close: () => closeAll(server, sockets),
  };
}

function credentialCheck(options: AuthFrontOptions): Check {
  if (options.dialect === 'memcachier') {
    const { username, password } = options;
    if (username === undefined || password === undefined) {
      throw new Error('startAuthFront: memcachier dialect needs username and password');
    }
    return (key, data) => key === username && data === password;
  }
  const { token, projectId, cacheName } = options;
  if (token === undefined || projectId === undefined || cacheName === undefined) {
    throw new Error('startAuthFront: ironcache dialect needs token, projectId and cacheName');
  }
  const expected = `${token} ${projectId} ${cacheName}`;
  return (key, data) => key === 'oauth' && data === expected;
}

function handleConnection(
  client: Socket,
  check: Check,
  upstreamPort: number,
  stats: { logins: number; failures: number },
  track: (socket: Socket) => void,
): void {
  let state: 'login' | 'refused' | 'relaying' = 'login';
  let pending = Buffer.alloc(0);
  let upstream: Socket | undefined;

  const refuse = (): void => {
    stats.failures += 1;
    state = 'refused';
    client.write(AUTH_FAILURE);
    answerRefusedLines();
  };

  // Once refused, every further line is answered and dropped, as memcached -Y does.
  const answerRefusedLines = (): void => {
    for (let end = pending.indexOf(CRLF); end !== -1; end = pending.indexOf(CRLF)) {
      pending = pending.subarray(end + 2);
      client.write(UNAUTHENTICATED);
    }
  };

  const tryLogin = (): void => {
    for (;;) {
      const lineEnd = pending.indexOf(CRLF);
      if (lineEnd === -1) {
        if (pending.length > MAX_LINE) refuse();
        return;
      }
      const words = pending.subarray(0, lineEnd).toString('latin1').split(' ');
      if (words[0] !== 'set') {
        // Like memcached -Y: anything but a set is refused, and the client may still log in afterwards.
        pending = pending.subarray(lineEnd + 2);
        client.write(UNAUTHENTICATED);
        continue;
      }
      const key = words[1];
      const length = Number(words[4]);
      if (key === undefined || words.length < 5 || !Number.isSafeInteger(length) || length < 0) {
        pending = pending.subarray(lineEnd + 2);
        refuse();
        return;
      }
      const dataStart = lineEnd + 2;
      const dataEnd = dataStart + length;
      // The value may still be on its way in later chunks.
      if (pending.length < dataEnd + 2) return;
      const data = pending.subarray(dataStart, dataEnd).toString('latin1');
      const terminated = pending.subarray(dataEnd, dataEnd + 2).equals(CRLF);
      pending = pending.subarray(dataEnd + 2);
      if (!terminated || !check(key, data)) {
        refuse();
        return;
      }
      stats.logins += 1;
      startRelay();
      return;
    }
  };

  const startRelay = (): void => {
    state = 'relaying';
    client.write('STORED\r\n');
    const socket = connect(upstreamPort, '127.0.0.1');
    upstream = socket;
    track(socket);
    // Bytes pipelined behind the login, and any arriving before the upstream is up, are queued by the
    // socket itself until it connects.
    if (pending.length > 0) socket.write(pending);
    pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => client.write(chunk));
    socket.on('close', () => client.destroy());
  };

  client.on('data', (chunk: Buffer) => {
    if (state === 'relaying') {
      upstream?.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    if (state === 'refused') answerRefusedLines();
    else tryLogin();
  });
  client.on('close', () => upstream?.destroy());
}

function closeAll(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  return new Promise((resolve) => server.close(() => resolve()));
}
