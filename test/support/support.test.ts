import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type AuthFront, startAuthFront } from './auth-front.js';
import { type FakeServer, startFakeServer } from './fake-server.js';
import { type MemcachedServer, startMemcached, stopAllMemcached } from './servers/index.mjs';

/** A raw socket that collects everything it is sent, so tests can wait for an exact reply. */
interface Raw {
  socket: Socket;
  /** Writes `data` (all at once, or chunk by chunk) and resolves with the reply once it matches `until`. */
  send(data: string | string[], until?: RegExp): Promise<string>;
}

const openSockets = new Set<Socket>();

async function openRaw(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  openSockets.add(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // Servers under test reset connections on purpose; a reset is seen as a missing reply instead.
  socket.on('error', () => {});
  let buffered = '';
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    buffered += text;
  });
  const send = async (data: string | string[], until = /\r\n$/): Promise<string> => {
    buffered = '';
    for (const chunk of typeof data === 'string' ? [data] : data) {
      socket.write(chunk);
      // A pause between chunks makes them arrive as separate reads on the other side.
      if (typeof data !== 'string') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (until.test(buffered)) done(() => resolve(buffered));
      }, 5);
      const timer = setTimeout(
        () => done(() => reject(new Error(`no reply matching ${until}: ${buffered}`))),
        3000,
      );
      const done = (settle: () => void): void => {
        clearInterval(poll);
        clearTimeout(timer);
        settle();
      };
    });
  };
  return { socket, send };
}

function pseudoSet(key: string, value: string): string {
  return `set ${key} 0 0 ${Buffer.byteLength(value)}\r\n${value}\r\n`;
}

afterEach(() => {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
});

afterAll(() => stopAllMemcached());

describe('startMemcached', () => {
  let server: MemcachedServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  test('answers version over a raw socket', async () => {
    server = await startMemcached();
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    const raw = await openRaw(server.port);
    expect(await raw.send('version\r\n')).toMatch(/^VERSION 1\.6/);
  });

  test('stop() ends the process', async () => {
    server = await startMemcached();
    const pid = server.pid;
    expect(pid).toBeTypeOf('number');
    await server.stop();
    expect(() => process.kill(pid as number, 0)).toThrow();
  });

  test('restart() brings a killed server back on the same port', async () => {
    server = await startMemcached();
    const { port } = server;
    const firstPid = server.pid;
    await server.kill();
    await expect(openRaw(port)).rejects.toThrow(/ECONNREFUSED/);
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(firstPid);
    const raw = await openRaw(port);
    expect(await raw.send('version\r\n')).toMatch(/^VERSION 1\.6/);
  });

  test('with auth, refuses commands until the -Y pseudo-set logs in', async () => {
    server = await startMemcached({ auth: { username: 'user', password: 'pass' } });
    const raw = await openRaw(server.port);
    expect(await raw.send('get x\r\n')).toBe('CLIENT_ERROR unauthenticated\r\n');
    expect(await raw.send(pseudoSet('x', 'user pass'))).toBe('STORED\r\n');
    expect(await raw.send('version\r\n')).toMatch(/^VERSION 1\.6/);

    const wrong = await openRaw(server.port);
    expect(await wrong.send(pseudoSet('x', 'user nope'))).toBe('CLIENT_ERROR authentication failure\r\n');
  });

  test('stopAllMemcached() ends servers a test forgot', async () => {
    const forgotten = await startMemcached();
    const pid = forgotten.pid as number;
    await stopAllMemcached();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('startAuthFront', () => {
  let upstream: MemcachedServer;
  let front: AuthFront | undefined;
  beforeAll(async () => {
    upstream = await startMemcached();
  });
  afterAll(() => upstream.stop());
  afterEach(async () => {
    await front?.close();
    front = undefined;
  });

  test('memcachier: relays after a correct login, refuses a wrong one', async () => {
    front = await startAuthFront({
      dialect: 'memcachier',
      upstreamPort: upstream.port,
      username: 'alice',
      password: 's3cret',
    });
    const good = await openRaw(front.port);
    // Split mid-line and mid-value: the front must buffer until the whole value is in.
    expect(await good.send(['set alice 0 0 6\r', '\ns3c', 'ret\r\n'])).toBe('STORED\r\n');
    expect(await good.send('version\r\n')).toMatch(/^VERSION 1\.6/);

    const bad = await openRaw(front.port);
    expect(await bad.send(pseudoSet('alice', 'wrong!'))).toBe('CLIENT_ERROR authentication failure\r\n');
    expect(await bad.send('version\r\n')).toBe('CLIENT_ERROR unauthenticated\r\n');

    const early = await openRaw(front.port);
    expect(await early.send('get x\r\n')).toBe('CLIENT_ERROR unauthenticated\r\n');

    expect({ logins: front.logins, failures: front.failures, connections: front.connections }).toEqual({
      logins: 1,
      failures: 1,
      connections: 3,
    });
  });

  test('memcachier: forwards commands pipelined behind the login', async () => {
    front = await startAuthFront({
      dialect: 'memcachier',
      upstreamPort: upstream.port,
      username: 'u',
      password: 'p',
    });
    const raw = await openRaw(front.port);
    const reply = await raw.send(pseudoSet('u', 'p') + 'version\r\n', /VERSION .*\r\n$/);
    expect(reply).toMatch(/^STORED\r\nVERSION 1\.6/);
  });

  test('ironcache: relays after set oauth with token, project and cache', async () => {
    front = await startAuthFront({
      dialect: 'ironcache',
      upstreamPort: upstream.port,
      token: 'tok',
      projectId: 'proj',
      cacheName: 'cache',
    });
    const good = await openRaw(front.port);
    expect(await good.send(pseudoSet('oauth', 'tok proj cache'))).toBe('STORED\r\n');
    expect(await good.send('version\r\n')).toMatch(/^VERSION 1\.6/);

    const bad = await openRaw(front.port);
    expect(await bad.send(pseudoSet('oauth', 'tok proj other'))).toBe(
      'CLIENT_ERROR authentication failure\r\n',
    );
    const wrongKey = await openRaw(front.port);
    expect(await wrongKey.send(pseudoSet('token', 'tok proj cache'))).toBe(
      'CLIENT_ERROR authentication failure\r\n',
    );
  });
});

describe('startFakeServer', () => {
  let fake: FakeServer | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  test('runs the script and records what it received', async () => {
    fake = await startFakeServer((socket, _chunk, state) => {
      if (state.received.includes('\r\n')) socket.end('GARBAGE\r\n');
    });
    const raw = await openRaw(fake.port);
    expect(await raw.send(['get ', 'x\r\n'])).toBe('GARBAGE\r\n');
    expect(fake.received.toString()).toBe('get x\r\n');
    expect(fake.connections).toBe(1);
  });
});
