import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  type FakeDataHandler,
  type FakeServer,
  freePort,
  type MemcachedServer,
  startFakeServer,
  startMemcached,
} from '../../../../test/support/index.js';
import {
  ClientClosedError,
  ConnectionError,
  ErrorCodes,
  MemwireError,
  ProtocolError,
  TimeoutError,
} from '../../src/index.js';
import { allSettleWithin, answerLines, rejections, retryUntil, settleWithin, useClients } from './helpers.js';

const newClient = useClients();

let fake: FakeServer | undefined;
let server: MemcachedServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  await server?.stop();
  server = undefined;
});

/** A fake server that hands each new connection to the next script of `scripts` (the last one repeats). */
async function startFakeByConnection(scripts: FakeDataHandler[]): Promise<FakeServer> {
  const byConnection = new WeakMap<Socket, FakeDataHandler>();
  let accepted = 0;
  fake = await startFakeServer((socket, chunk, state) => {
    let script = byConnection.get(socket);
    if (script === undefined) {
      script = scripts[Math.min(accepted, scripts.length - 1)]!;
      accepted += 1;
      byConnection.set(socket, script);
    }
    script(socket, chunk, state);
  });
  return fake;
}

/** Answers like a memcached holding no keys. */
const healthy: FakeDataHandler = answerLines((line) => {
  if (line === 'version') return 'VERSION 9.9.9\r\n';
  if (line.startsWith('get ')) return 'END\r\n';
  return 'ERROR\r\n';
});

/** A fake server that accepts connections and never answers. */
async function startSilentServer(): Promise<FakeServer> {
  fake = await startFakeServer(() => {});
  return fake;
}

describe('an unreachable server', () => {
  test('a command to a closed port rejects with ConnectionError long before commandTimeout', async () => {
    const port = await freePort();
    const c = newClient({ servers: `127.0.0.1:${port}`, commandTimeout: 5000, connectTimeout: 5000 });
    const outcome = await settleWithin(c.get('k'), 2000);
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: ErrorCodes.CONNECTION, server: `127.0.0.1:${port}` });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  test('once marked down, writes fail fast and reads are misses, without waiting for a connection', async () => {
    const port = await freePort();
    const c = newClient({ servers: `127.0.0.1:${port}`, commandTimeout: 5000, retryDelay: 10_000 });
    const down = new Promise<{ server: string; error: Error }>((resolve) => c.once('serverDown', resolve));
    // failureThreshold (2) consecutive refusals mark the server down.
    const first = await c.get('k').catch((e: unknown) => e);
    const second = await c.get('k').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ConnectionError);
    expect(second).toBeInstanceOf(ConnectionError);
    expect((await down).server).toBe(`127.0.0.1:${port}`);
    expect(c.downServers).toEqual([`127.0.0.1:${port}`]);

    const [get, set, getMany, version] = await allSettleWithin(
      [c.get('a'), c.set('b', 1), c.getMany(['c', 'd']), c.version()],
      1000,
    );
    expect(get).toEqual({ status: 'fulfilled', value: undefined });
    expect(getMany).toEqual({ status: 'fulfilled', value: new Map() });
    for (const outcome of [set, version]) {
      const error = outcome!.status === 'rejected' ? (outcome!.reason as Error) : undefined;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error!.message).toMatch(/marked down.*next attempt in \d+ ms/);
      expect(error!.cause).toBe(second);
    }
  });

  test('once the server comes up, the client connects after the backoff', async () => {
    const port = await freePort();
    const c = newClient({
      servers: `127.0.0.1:${port}`,
      commandTimeout: 500,
      retryDelay: 20,
      maxRetryDelay: 100,
    });
    await expect(c.get('k')).rejects.toBeInstanceOf(ConnectionError);
    server = await startMemcached({ port });
    await retryUntil(() => c.set('k', 'back'), 5000);
    expect(await c.get('k')).toBe('back');
  });
});

describe('a server that never answers', () => {
  test('every in-flight command rejects with TimeoutError within commandTimeout', async () => {
    const f = await startSilentServer();
    const c = newClient({ servers: f.address, commandTimeout: 300, retryDelay: 20 });
    const calls: Promise<unknown>[] = [
      c.get('a'),
      c.getMany(['b', 'c']),
      c.gets('d'),
      c.set('e', 'v'),
      c.incr('f', 1),
      c.delete('g'),
      c.stats(),
      c.version(),
    ];
    const outcomes = await allSettleWithin(calls, 300 + 1000);
    const errors = rejections(outcomes);
    expect(errors).toHaveLength(calls.length);
    for (const error of errors) {
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ code: ErrorCodes.TIMEOUT, server: f.address });
    }
  });

  test('commands issued one after another each settle, none waits forever', async () => {
    const f = await startSilentServer();
    const c = newClient({ servers: f.address, commandTimeout: 300, retryDelay: 20, maxRetryDelay: 50 });
    for (let i = 0; i < 5; i++) {
      const outcome = await settleWithin(c.get(`k${i}`), 300 + 1000);
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(MemwireError);
    }
  });

  test('a wall clock that stands still or steps back (NTP, a VM resumed) does not stop the timeout', async () => {
    const f = await startSilentServer();
    const c = newClient({ servers: f.address, commandTimeout: 300 });
    // Only Date is faked: sockets and timers keep running, so the deadline must come from a monotonic clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() - 3_600_000);
      const outcome = await settleWithin(c.get('k'), 300 + 1000);
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    } finally {
      vi.useRealTimers();
    }
  });

  test('a connection that accepts but never completes the login times out', async () => {
    const f = await startSilentServer();
    const c = newClient({ servers: f.address, username: 'u', password: 'p', commandTimeout: 300 });
    const outcome = await settleWithin(c.get('k'), 300 + 1000);
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
  });
});

describe('a server that sends bytes that are not a reply', () => {
  const garbage: [string, string][] = [
    ['an unknown reply line', 'HELLO THERE\r\n'],
    ['a bare LF', 'END\n'],
    ['a malformed VALUE header', 'VALUE k x y\r\n'],
    ['a VALUE for a key that was not asked for', 'VALUE other 0 1\r\nx\r\nEND\r\n'],
    ['a data block not followed by CRLF', 'VALUE k 0 1\r\nxyz\r\nEND\r\n'],
    ['a line longer than any real reply', 'A'.repeat(20_000)],
  ];

  test.each(garbage)(
    '%s fails the command with ProtocolError, and the next command works on a fresh connection',
    async (_name, reply) => {
      const f = await startFakeByConnection([
        answerLines((line) => (line.startsWith('get ') ? reply : undefined)),
        healthy,
      ]);
      const c = newClient({ servers: f.address, commandTimeout: 500, retryDelay: 20 });
      const outcome = await settleWithin(c.get('k'), 500 + 1000);
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: ErrorCodes.PROTOCOL, server: f.address });
      expect(await c.get('k')).toBeUndefined();
      expect(await c.version()).toEqual(new Map([[f.address, '9.9.9']]));
      expect(f.connections).toBe(2);
    },
  );

  test('garbage fails every command pipelined behind it, and all of them settle', async () => {
    const f = await startFakeByConnection([answerLines(() => '?!\r\n'), healthy]);
    // One pipeline: the fake server scripts its first connection to send garbage.
    const c = newClient({ servers: f.address, commandTimeout: 500, retryDelay: 20, poolSize: 1 });
    const outcomes = await allSettleWithin([c.version(), c.get('a'), c.version(), c.get('b')], 500 + 1000);
    const errors = rejections(outcomes);
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(error).toBeInstanceOf(ProtocolError);
    expect(await c.get('a')).toBeUndefined();
  });

  test('a reply nobody asked for resets the connection without failing the command already answered', async () => {
    const f = await startFakeByConnection([
      answerLines((line) => (line === 'version' ? 'VERSION 1.0\r\nSTORED\r\n' : undefined)),
      healthy,
    ]);
    const c = newClient({ servers: f.address, commandTimeout: 500, retryDelay: 20 });
    expect(await c.version()).toEqual(new Map([[f.address, '1.0']]));
    expect(await c.version()).toEqual(new Map([[f.address, '9.9.9']]));
    expect(f.connections).toBe(2);
  });
});

describe('a connection cut mid-reply', () => {
  test('cut in the middle of a VALUE data block: ConnectionError, no hang, then recovery', async () => {
    const f = await startFakeByConnection([
      (socket, _chunk, state) => {
        if (state.received.includes('\r\n')) {
          socket.write('VALUE k 0 10\r\nabc');
          setTimeout(() => socket.destroy(), 20);
        }
      },
      healthy,
    ]);
    const c = newClient({ servers: f.address, commandTimeout: 500, retryDelay: 20 });
    const outcomes = await allSettleWithin([c.get('k'), c.getMany(['k', 'x']), c.version()], 500 + 1000);
    const errors = rejections(outcomes);
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ code: ErrorCodes.CONNECTION, server: f.address });
    }
    expect(await c.get('k')).toBeUndefined();
  });

  test('cut in the middle of a reply line: ConnectionError, no hang', async () => {
    const f = await startFakeByConnection([
      (socket, _chunk, state) => {
        if (state.received.includes('\r\n')) socket.end('VERS');
      },
      healthy,
    ]);
    const c = newClient({ servers: f.address, commandTimeout: 500, retryDelay: 20 });
    const outcome = await settleWithin(c.version(), 500 + 1000);
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
    expect(await c.version()).toEqual(new Map([[f.address, '9.9.9']]));
  });
});

describe('a memcached that crashes and comes back', () => {
  test('in-flight commands reject, and the client works again after restart', async () => {
    server = await startMemcached();
    const s = server;
    const c = newClient({ servers: s.address, commandTimeout: 500, retryDelay: 20, maxRetryDelay: 200 });
    await c.set('before', 'v');

    const killed = s.kill();
    const inflight = Array.from({ length: 500 }, (_, i) => (i % 2 ? c.set(`k${i}`, i) : c.get(`k${i - 1}`)));
    // Settled from now on: the commands may reject before the kill is confirmed, and a rejection
    // nobody handles yet is an unhandled rejection (CI once counted 500 of them here).
    const settling = allSettleWithin(inflight, 500 + 2000);
    await killed;
    const outcomes = await settling;
    const errors = rejections(outcomes);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(MemwireError);
      expect([ErrorCodes.CONNECTION, ErrorCodes.TIMEOUT]).toContain((error as MemwireError).code);
    }

    // While it is down, commands settle rather than hang: a read is a miss once the server is marked
    // down (failover: 'miss') or fails to reconnect before that; a write fails.
    const [read, write] = await allSettleWithin([c.get('before'), c.set('during', 'v')], 500 + 1000);
    if (read!.status === 'fulfilled') expect(read!.value).toBeUndefined();
    else expect(read!.reason).toBeInstanceOf(ConnectionError);
    expect(write!.status).toBe('rejected');

    await s.restart();
    await retryUntil(() => c.set('after', 'restart'), 5000);
    expect(await c.get('after')).toBe('restart');
    // A fresh process: what was stored before the crash is gone.
    expect(await c.get('before')).toBeUndefined();
  });

  test('a graceful restart while idle is noticed, and the next commands reconnect', async () => {
    server = await startMemcached();
    const s = server;
    const c = newClient({ servers: s.address, commandTimeout: 500, retryDelay: 20, maxRetryDelay: 200 });
    await c.set('k', 'v');
    await s.restart();
    await retryUntil(() => c.version(), 5000);
    expect(await c.set('k', 'again')).toBe(true);
    expect(await c.get('k')).toBe('again');
  });
});

describe('close()', () => {
  test('during connect answers the commands already issued and rejects later ones', async () => {
    server = await startMemcached();
    const c = newClient({ servers: server.address, commandTimeout: 500 });
    const pending = [c.set('b', 1), c.get('b'), c.version()];
    const closing = c.close();
    const late = c.get('b');
    const outcomes = await allSettleWithin([...pending, closing, late], 500 + 1000);
    expect(outcomes.slice(0, 4)).toEqual([
      { status: 'fulfilled', value: true },
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: new Map([[server.address, expect.stringMatching(/^1\.6/)]]) },
      { status: 'fulfilled', value: undefined },
    ]);
    expect((outcomes[4] as PromiseRejectedResult).reason).toBeInstanceOf(ClientClosedError);
  });

  test('during connect to a closed port settles everything', async () => {
    const c = newClient({ servers: `127.0.0.1:${await freePort()}`, commandTimeout: 500 });
    const pending = c.get('k');
    const outcomes = await allSettleWithin([pending, c.close()], 500 + 1000);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
    expect(outcomes[1]?.status).toBe('fulfilled');
  });

  test('during a login that never completes settles everything', async () => {
    const f = await startSilentServer();
    const c = newClient({ servers: f.address, username: 'u', password: 'p', commandTimeout: 2000 });
    const pending = c.get('k');
    await retryUntil(async () => expect(f.received.length).toBeGreaterThan(0), 2000, 5);
    const outcomes = await allSettleWithin([pending, c.close(), c.get('late')], 2000 + 1000);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    expect(outcomes[1]?.status).toBe('fulfilled');
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(ClientClosedError);
  });

  test('with commands in flight on a real server lets them finish', async () => {
    server = await startMemcached();
    const c = newClient({ servers: server.address, commandTimeout: 500 });
    await c.version();
    const writes = Array.from({ length: 200 }, (_, i) => c.set(`k${i}`, i));
    const closing = c.close();
    const outcomes = await allSettleWithin([...writes, closing], 500 + 1000);
    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(outcomes.slice(0, 200).map((o) => (o as PromiseFulfilledResult<unknown>).value)).toEqual(
      writes.map(() => true),
    );
  });

  test('with commands in flight on a stalled server settles every one of them', async () => {
    const f = await startSilentServer();
    const c = newClient({ servers: f.address, commandTimeout: 500 });
    const first = c.version();
    await retryUntil(async () => expect(f.received.length).toBeGreaterThan(0), 2000, 5);
    const more = [c.get('a'), c.set('b', 1)];
    const outcomes = await allSettleWithin([first, ...more, c.close()], 500 + 1000);
    expect(outcomes[3]?.status).toBe('fulfilled');
    const errors = rejections(outcomes.slice(0, 3));
    expect(errors).toHaveLength(3);
    for (const error of errors) expect(error).toBeInstanceOf(MemwireError);
  });
});

describe('process exit', () => {
  const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const dist = join(coreDir, 'dist/index.mjs');

  beforeAll(() => {
    // CI builds before running vitest; a local run without a build gets one here.
    if (!existsSync(dist)) {
      execFileSync(process.execPath, [resolve(coreDir, '../../node_modules/tsdown/dist/run.mjs')], {
        cwd: coreDir,
        stdio: 'ignore',
      });
    }
  }, 60_000);

  /** Runs `body` in a child Node with `createClient` in scope; resolves with its stdout once it exits by itself. */
  function runChild(
    body: string,
    args: string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = `const { createClient } = await import(${JSON.stringify(pathToFileURL(dist).href)});\n${body}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    return new Promise((resolvePromise, reject) => {
      const limit = setTimeout(() => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        reject(
          new Error(
            `the child process did not exit by itself within 5 s; stdout: ${stdout}; stderr: ${stderr}`,
          ),
        );
      }, 5000);
      child.once('exit', (code) => {
        clearTimeout(limit);
        resolvePromise({ code, stdout, stderr });
      });
    });
  }

  test('after close() nothing keeps the process alive: used, failed, timed-out and backing-off clients', async () => {
    server = await startMemcached();
    const silent = await startSilentServer();
    const closedPort = await freePort();
    const result = await runChild(
      `
      const [live, stalled, down] = process.argv.slice(-3);
      const options = { env: {}, commandTimeout: 300, retryDelay: 10_000 };
      const used = createClient({ ...options, servers: live });
      await used.set('child', 'hello');
      const values = await Promise.all([used.get('child'), used.getMany(['child', 'none']), used.stats()]);
      const slow = createClient({ ...options, servers: stalled });
      const timedOut = await slow.get('k').catch((error) => error.code);
      const gone = createClient({ ...options, servers: down });
      const refused = await gone.get('k').catch((error) => error.code);
      const backingOff = await gone.get('k').catch((error) => error.code);
      const neverUsed = createClient({ ...options, servers: live });
      await Promise.all([used.close(), slow.close(), gone.close(), neverUsed.close()]);
      console.log(JSON.stringify({ got: values[0], many: values[1].size, timedOut, refused, backingOff }));
      `,
      [server.address, silent.address, `127.0.0.1:${closedPort}`],
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      got: 'hello',
      many: 1,
      timedOut: ErrorCodes.TIMEOUT,
      refused: ErrorCodes.CONNECTION,
      backingOff: ErrorCodes.CONNECTION,
    });
  });

  test('close() called while connecting and with commands in flight lets the process exit', async () => {
    server = await startMemcached();
    const silent = await startSilentServer();
    const result = await runChild(
      `
      const [live, stalled] = process.argv.slice(-2);
      const options = { env: {}, commandTimeout: 300 };
      const connecting = createClient({ ...options, servers: live });
      const early = connecting.get('k').then(() => 'answered', (error) => error.code);
      await connecting.close();
      const busy = createClient({ ...options, servers: stalled });
      const inflight = busy.get('k').catch((error) => error.code);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await busy.close();
      console.log(JSON.stringify([await early, await inflight]));
      `,
      [server.address, silent.address],
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [early, inflight] = JSON.parse(result.stdout) as string[];
    expect(early).toBe('answered');
    expect(inflight).toMatch(/^ERR_MEMWIRE_/);
  });
});
