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
  /**
   * Turns on TLS (-Z) on the port with this certificate and key (PEM text, e.g. from
   * createTestCertificates()); plain TCP is then refused on it.
   */
  tls?: { cert: string; key: string };
  memoryMb?: number;
}

/** What startMemcached writes to disk for one server: the -Y auth file and the TLS certificate and key. */
interface ServerFiles {
  auth: { username: string; password: string } | undefined;
  tls: { cert: string; key: string } | undefined;
}

export interface MemcachedServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly address: string;
  /** Pid of the current process, or of the last one once it has ended, so tests can check it is gone. */
  readonly pid: number | undefined;
  /** SIGTERM, wait for exit (SIGKILL after 2 s), and remove the auth and TLS files. */
  stop(): Promise<void>;
  /** SIGKILL, like a crash; keeps the auth and TLS files so restart() works. */
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
/** Servers not yet stopped, so stopAllMemcached() can also remove their files. */
const servers = new Set<MemcachedServer>();
/** File directories not yet removed, so the exit hook can clean up after forgotten servers too. */
const fileDirs = new Set<string>();
let exitHookInstalled = false;

export async function startMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const binary = findOnPath('memcached');
  if (binary === undefined) {
    throw new Error('memcached is not on PATH; run `node scripts/ensure-memcached.mjs` to install it');
  }
  installExitHook();
  const files: ServerFiles = { auth: options.auth, tls: options.tls };
  const needsDir = files.auth !== undefined || files.tls !== undefined;
  const filesDir = needsDir ? await mkdtemp(join(tmpdir(), 'memwire-memcached-')) : undefined;
  if (filesDir !== undefined) {
    fileDirs.add(filesDir);
    await writeServerFiles(filesDir, files);
  }
  try {
    // A port from freePort() can be taken by someone else before memcached binds it, so retry with a
    // fresh one; a port the caller chose is used once, as asked.
    const attempts = options.port === undefined ? START_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const args = buildArgs(port, options, filesDir);
      try {
        const current = await launch(binary, args, port);
        const server = createHandle({ binary, args, port, files, filesDir }, current);
        servers.add(server);
        return server;
      } catch (error) {
        const lostRace = error instanceof Error && /in use/i.test(error.message);
        if (!lostRace || attempt >= attempts) throw error;
      }
    }
  } catch (error) {
    if (filesDir !== undefined) await removeFilesDir(filesDir);
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
  files: ServerFiles;
  filesDir: string | undefined;
}

function createHandle(spec: LaunchSpec, first: Running): MemcachedServer {
  const { binary, args, port, files, filesDir } = spec;
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
      if (filesDir !== undefined) await removeFilesDir(filesDir);
    },
    async kill() {
      await endChild(current.child, 'SIGKILL');
    },
    async restart() {
      await terminate(current);
      // stop() removed the files; the arguments still name them, so put them back in the same place.
      if (filesDir !== undefined) {
        fileDirs.add(filesDir);
        await writeServerFiles(filesDir, files);
      }
      current = await launch(binary, args, port);
      servers.add(server);
    },
  };
  return server;
}

function buildArgs(port: number, options: MemcachedOptions, filesDir: string | undefined): string[] {
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0'];
  args.push('-m', String(options.memoryMb ?? 64), '-t', '1');
  // memcached refuses to start as root unless told which user to run as.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  if (filesDir !== undefined && options.auth) args.push('-Y', join(filesDir, 'auth'));
  if (filesDir !== undefined && options.tls) {
    // Option names from `memcached -h` (1.6.18); the chain file holds just the leaf, signed by the CA.
    const cert = join(filesDir, 'cert.pem');
    const key = join(filesDir, 'key.pem');
    args.push('-Z', '-o', `ssl_chain_cert=${cert},ssl_key=${key}`);
  }
  return [...args, ...(options.args ?? [])];
}

async function writeServerFiles(dir: string, files: ServerFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { auth, tls } = files;
  if (auth) await writeFile(join(dir, 'auth'), `${auth.username}:${auth.password}\n`, { mode: 0o600 });
  if (tls) {
    await writeFile(join(dir, 'cert.pem'), tls.cert);
    await writeFile(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
  }
}

async function removeFilesDir(dir: string): Promise<void> {
  fileDirs.delete(dir);
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
    for (const dir of fileDirs) rmSync(dir, { recursive: true, force: true });
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
