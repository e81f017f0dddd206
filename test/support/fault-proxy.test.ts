import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type FaultProxy, type MemcachedServer, startFaultProxy, startMemcached } from './servers/index.mjs';

/** A raw client of the proxy: everything it receives, and whether the proxy closed it. */
interface Raw {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
}

let server: MemcachedServer;
let proxy: FaultProxy | undefined;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await server.kill();
  await server.stop();
});
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await proxy?.close();
  proxy = undefined;
});

async function open(p: FaultProxy): Promise<Raw> {
  const socket = connect(p.port, '127.0.0.1');
  sockets.add(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => {
    text += chunk;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => text, closed };
}

/** Polls until `check` passes, for at most `ms`. */
async function eventually(check: () => void, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startFaultProxy', () => {
  test('passes bytes both ways untouched by default', async () => {
    proxy = await startFaultProxy(server.port);
    const raw = await open(proxy);
    raw.socket.write('set p 0 0 5\r\nhello\r\nget p\r\n');
    await eventually(() => expect(raw.received()).toBe('STORED\r\nVALUE p 0 5\r\nhello\r\nEND\r\n'));
    expect(proxy.accepted).toBe(1);
    expect(proxy.open).toBe(1);
  });

  test('stall holds every byte until the fault is lifted, then delivers them in order', async () => {
    proxy = await startFaultProxy(server.port, { kind: 'stall' });
    const raw = await open(proxy);
    raw.socket.write('set s 0 0 1\r\nx\r\nget s\r\n');
    await sleep(100);
    expect(raw.received()).toBe('');
    expect(await rawGet('s')).toBeUndefined(); // the request never reached the server either
    proxy.setFault({ kind: 'pass' });
    await eventually(() => expect(raw.received()).toBe('STORED\r\nVALUE s 0 1\r\nx\r\nEND\r\n'));
  });

  test('slow delivers the same bytes, piece by piece', async () => {
    proxy = await startFaultProxy(server.port, { kind: 'slow', delayMs: 2, chunkBytes: 3 });
    const raw = await open(proxy);
    const pieces: string[] = [];
    raw.socket.on('data', (chunk: string) => pieces.push(chunk));
    raw.socket.write('version\r\n');
    await eventually(() => expect(raw.received()).toMatch(/^VERSION 1\.6\.\d+\r\n$/));
    expect(pieces.length).toBeGreaterThan(3);
  });

  test('cut forwards the given number of reply bytes, then closes the connection, once', async () => {
    proxy = await startFaultProxy(server.port);
    const first = await open(proxy);
    proxy.setFault({ kind: 'cut', afterBytes: 4 });
    first.socket.write('version\r\n');
    await first.closed;
    expect(first.received()).toBe('VERS');
    expect(proxy.fault).toEqual({ kind: 'pass' });
    const second = await open(proxy);
    second.socket.write('version\r\n');
    await eventually(() => expect(second.received()).toMatch(/^VERSION /));
  });

  test('garbage goes to the client just before the next reply, once', async () => {
    proxy = await startFaultProxy(server.port, { kind: 'garbage', bytes: 'NONSENSE\r\n' });
    const raw = await open(proxy);
    raw.socket.write('get g\r\n');
    await eventually(() => expect(raw.received()).toBe('NONSENSE\r\nEND\r\n'));
    raw.socket.write('get g\r\n');
    await eventually(() => expect(raw.received()).toBe('NONSENSE\r\nEND\r\nEND\r\n'));
  });

  test('close() ends every connection, including stalled ones holding bytes', async () => {
    proxy = await startFaultProxy(server.port, { kind: 'stall' });
    const raws = await Promise.all([open(proxy), open(proxy)]);
    for (const raw of raws) raw.socket.write('version\r\n');
    await eventually(() => expect(proxy!.open).toBe(2));
    await proxy.close();
    await Promise.all(raws.map((raw) => raw.closed));
    expect(proxy.open).toBe(0);
    proxy = undefined;
  });
});

/** `get key` straight to the server, bypassing the proxy. */
async function rawGet(key: string): Promise<string | undefined> {
  const socket = connect(server.port, '127.0.0.1');
  sockets.add(socket);
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => {
    text += chunk;
  });
  socket.write(`get ${key}\r\n`);
  await eventually(() => expect(text).toMatch(/END\r\n$/));
  socket.destroy();
  return /^VALUE \S+ \d+ \d+\r\n(.*)\r\n/.exec(text)?.[1];
}
