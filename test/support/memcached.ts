import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';

export interface MemcachedOptions {
  /** Defaults to a free port. */
  port?: number;
  /** Extra command-line arguments, appended after the defaults. */
  args?: string[];
  /** Turns on memcached's own pseudo-set auth (-Y): a `set` whose value is `username password` logs in. */
  auth?: { username: string; password: string };
  memoryMb?: number;
}

export interface MemcachedServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly address: string;
  /** Pid of the current process, or of the last one once it has ended, so tests can check it is gone. */
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit (SIGKILL after 2 s), and remove the auth file. */
  stop(): Promise<void>;
  /** SIGKILL, like a crash; keeps the auth file so restart() works. */
  kill(): Promise<void>;
  /** Ends the process if still running, then starts it again on the same port with the same arguments. */
  restart(): Promise<void>;
}

const ACCEPT_POLL_MS = 20;
const ACCEPT_LIMIT_MS = 5_000;
const STOP_GRACE_MS = 2_000;
const STDERR_LIMIT = 16 * 1024;
const START_ATTEMPTS = 3;

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
}

/** Every process this module has started and not yet seen exit. */
const running = new Set<ChildProcess>();
/** Servers not yet stopped, so stopAllMemcached() can also remove their auth files. */
const servers = new Set<MemcachedServer>();
/** Auth-file directories not yet removed, so the exit hook can clean up after forgotten servers too. */
const authDirs = new Set<string>();
let exitHookInstalled = false;

export async function startMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const binary = findOnPath('memcached');
  if (binary === undefined) {
    throw new Error('memcached is not on PATH; run `node scripts/ensure-memcached.mjs` to install it');
  }
  installExitHook();
  const { auth } = options;
  const authDir = auth ? await mkdtemp(join(tmpdir(), 'memwire-memcached-')) : undefined;
  if (auth && authDir !== undefined) {
    authDirs.add(authDir);
    await writeAuthFile(authDir, auth);
  }
  try {
    // A port from freePort() can be taken by someone else before memcached binds it, so retry with a
    // fresh one; a port the caller chose is used once, as asked.
    const attempts = options.port === undefined ? START_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const args = buildArgs(port, options, authDir);
      try {
        const current = await launch(binary, args, port);
        const server = createHandle({ binary, args, port, auth, authDir }, current);
        servers.add(server);
        return server;
      } catch (error) {
        const lostRace = error instanceof Error && /in use/i.test(error.message);
        if (!lostRace || attempt >= attempts) throw error;
      }
    }
  } catch (error) {
    if (authDir !== undefined) await removeAuthDir(authDir);
    throw error;
  }
}

export async function stopAllMemcached(): Promise<void> {
  await Promise.all([...servers].map((server) => server.stop()));
  // Covers a process whose start is still in flight, so not yet owned by a handle.
  await Promise.all([...running].map((child) => endChild(child, 'SIGKILL')));
}

interface LaunchSpec {
  binary: string;
  args: string[];
  port: number;
  auth: { username: string; password: string } | undefined;
  authDir: string | undefined;
}

function createHandle(spec: LaunchSpec, first: Running): MemcachedServer {
  const { binary, args, port, auth, authDir } = spec;
  let current = first;
  const server: MemcachedServer = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    get pid() {
      return current.child.pid;
    },
    async stop() {
      servers.delete(server);
      await terminate(current);
      if (authDir !== undefined) await removeAuthDir(authDir);
    },
    async kill() {
      await endChild(current.child, 'SIGKILL');
    },
    async restart() {
      await terminate(current);
      // stop() removed the auth file; the arguments still name it, so put it back in the same place.
      if (auth && authDir !== undefined) {
        authDirs.add(authDir);
        await writeAuthFile(authDir, auth);
      }
      current = await launch(binary, args, port);
      servers.add(server);
    },
  };
  return server;
}

function buildArgs(port: number, options: MemcachedOptions, authDir: string | undefined): string[] {
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0'];
  args.push('-m', String(options.memoryMb ?? 64), '-t', '1');
  // memcached refuses to start as root unless told which user to run as.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  if (authDir !== undefined) args.push('-Y', join(authDir, 'auth'));
  return [...args, ...(options.args ?? [])];
}

async function writeAuthFile(dir: string, auth: { username: string; password: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'auth'), `${auth.username}:${auth.password}\n`, { mode: 0o600 });
}

async function removeAuthDir(dir: string): Promise<void> {
  authDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

async function launch(binary: string, args: string[], port: number): Promise<Running> {
  // Otherwise the readiness poll below would take whoever holds the port for our server.
  if (await accepts(port)) throw new Error(`memcached: port ${port} is already in use`);
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  // A forgotten server must not keep the test process alive; the exit hook ends it instead.
  child.unref();
  if (child.stderr instanceof Socket) child.stderr.unref();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // Spawn failures emit 'error' and may never emit 'exit'.
    child.once('error', (error) => {
      stderr += String(error);
      resolve();
    });
  }).then(() => {
    running.delete(child);
  });
  const current: Running = { child, exited, stderr: () => stderr };
  try {
    await waitUntilAccepting(port, current);
  } catch (error) {
    await endChild(child, 'SIGKILL');
    throw error;
  }
  return current;
}

async function waitUntilAccepting(port: number, current: Running): Promise<void> {
  const deadline = Date.now() + ACCEPT_LIMIT_MS;
  let exitedEarly = false;
  void current.exited.then(() => {
    exitedEarly = true;
  });
  for (;;) {
    if (exitedEarly) throw startError(port, 'exited before accepting connections', current);
    if (await accepts(port)) {
      // The port may have been answered by another process while ours failed to bind it.
      if (isRunning(current.child)) return;
      throw startError(port, 'exited before accepting connections', current);
    }
    if (Date.now() >= deadline) {
      throw startError(port, `did not accept within ${ACCEPT_LIMIT_MS} ms`, current);
    }
    await sleep(ACCEPT_POLL_MS);
  }
}

function startError(port: number, what: string, current: Running): Error {
  const { exitCode, signalCode } = current.child;
  const status = exitCode !== null || signalCode !== null ? ` (exit ${exitCode ?? signalCode})` : '';
  const stderr = current.stderr().trim();
  return new Error(`memcached on port ${port} ${what}${status}${stderr ? `: ${stderr}` : ''}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function terminate(current: Running): Promise<void> {
  if (!isRunning(current.child)) return current.exited;
  const timer = setTimeout(() => signal(current.child, 'SIGKILL'), STOP_GRACE_MS);
  try {
    await endChild(current.child, 'SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}

async function endChild(child: ChildProcess, sig: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (!isRunning(child)) resolve();
    else child.once('exit', () => resolve());
  });
  signal(child, sig);
  await exited;
  running.delete(child);
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Signals by our own child's pid only, never by name, so unrelated memcached processes are left alone. */
function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(child.pid, sig);
  } catch {
    // Already gone between the check and the kill.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous, so this can only fire SIGKILL and trust the kernel to finish.
  process.once('exit', () => {
    for (const child of running) signal(child, 'SIGKILL');
    for (const dir of authDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
