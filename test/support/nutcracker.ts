import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface NutcrackerOptions {
  /** Ports of the memcached servers on 127.0.0.1, in pool order; each gets weight 1. */
  serverPorts: readonly number[];
  /** Key hash of the pool. @default 'md5' */
  hash?: 'md5' | 'fnv1a_64';
  /** Milliseconds twemproxy waits for a server before answering the client with an error. @default none */
  serverTimeoutMs?: number;
}

/** Counters from twemproxy's stats port, for the one pool this fixture configures. */
export interface NutcrackerPoolStats {
  /** Client connections closed on a parse error (an unsupported or malformed command). */
  client_err: number;
  /** Client connections closed by the client. */
  client_eof: number;
  client_connections: number;
  /** Requests forwarded to each server, by `host:port`. */
  requests: Record<string, number>;
}

export interface Nutcracker {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:PORT`, where clients connect. */
  readonly address: string;
  readonly pid: number | undefined;
  /** The YAML it was started with. */
  readonly config: string;
  /** Reads the stats port; twemproxy aggregates counters every STATS_INTERVAL_MS, so they lag by that much. */
  stats(): Promise<NutcrackerPoolStats>;
  /** SIGTERM by pid, wait for exit (SIGKILL after 2 s), remove the config directory. */
  stop(): Promise<void>;
}

/** How often twemproxy refreshes its stats (`-i`); its default of 30 s is too slow for tests. */
export const STATS_INTERVAL_MS = 50;
const POOL = 'memwire';
const ACCEPT_POLL_MS = 20;
const ACCEPT_LIMIT_MS = 5_000;
const STOP_GRACE_MS = 2_000;
const START_ATTEMPTS = 3;

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
const handles = new Set<Nutcracker>();
let exitHookInstalled = false;

/**
 * Starts a real twemproxy (`nutcracker`, Debian's 0.5.0) with one memcache pool over the given
 * servers: ketama distribution, auto_eject_hosts off, its config, log and stats on free local ports in
 * a temporary directory. Resolves once it accepts connections.
 */
export async function startNutcracker(options: NutcrackerOptions): Promise<Nutcracker> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'memwire-nutcracker-'));
  dirs.add(dir);
  try {
    for (let attempt = 1; ; attempt++) {
      const [port, statsPort] = [await freePort(), await freePort()];
      const config = buildConfig(port, options);
      await writeFile(join(dir, 'nutcracker.yml'), config);
      try {
        const child = await launch(dir, port, statsPort);
        const handle = createHandle({ child, dir, port, statsPort, config });
        handles.add(handle);
        return handle;
      } catch (error) {
        // A free port can be taken before nutcracker binds it: try fresh ones.
        const lostRace = error instanceof Error && /in use/i.test(error.message);
        if (!lostRace || attempt >= START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}

export async function stopAllNutcracker(): Promise<void> {
  await Promise.all([...handles].map((handle) => handle.stop()));
  await Promise.all([...running].map((child) => endChild(child, 'SIGKILL')));
}

function buildConfig(port: number, options: NutcrackerOptions): string {
  const lines = [
    `${POOL}:`,
    `  listen: 127.0.0.1:${port}`,
    `  hash: ${options.hash ?? 'md5'}`,
    '  distribution: ketama',
    '  auto_eject_hosts: false',
  ];
  if (options.serverTimeoutMs !== undefined) lines.push(`  timeout: ${options.serverTimeoutMs}`);
  lines.push('  servers:', ...options.serverPorts.map((p) => `    - 127.0.0.1:${p}:1`));
  return `${lines.join('\n')}\n`;
}

interface Spec {
  child: ChildProcess;
  dir: string;
  port: number;
  statsPort: number;
  config: string;
}

function createHandle({ child, dir, port, statsPort, config }: Spec): Nutcracker {
  const handle: Nutcracker = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    pid: child.pid,
    config,
    stats: () => readStats(statsPort),
    async stop() {
      handles.delete(handle);
      const timer = setTimeout(() => signal(child, 'SIGKILL'), STOP_GRACE_MS);
      try {
        await endChild(child, 'SIGTERM');
      } finally {
        clearTimeout(timer);
      }
      await removeDir(dir);
    },
  };
  return handle;
}

async function launch(dir: string, port: number, statsPort: number): Promise<ChildProcess> {
  // Otherwise the readiness poll below would take whoever holds the port for our proxy.
  if (await accepts(port)) throw new Error(`nutcracker: port ${port} is already in use`);
  const log = join(dir, 'nutcracker.log');
  const args = ['-c', join(dir, 'nutcracker.yml'), '-s', String(statsPort), '-a', '127.0.0.1'];
  args.push('-i', String(STATS_INTERVAL_MS), '-o', log);
  const child = spawn('nutcracker', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr += text;
  });
  child.unref();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      stderr += String(error);
      resolve();
    });
  }).then(() => running.delete(child));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + ACCEPT_LIMIT_MS;
  for (;;) {
    if (gone || (await accepts(port)) || Date.now() >= deadline) break;
    await sleep(ACCEPT_POLL_MS);
  }
  if (!gone && isRunning(child) && (await accepts(port))) return child;
  await endChild(child, 'SIGKILL');
  // nutcracker logs its bind failure ("Address already in use") to the log file, not stderr.
  const logged = await readFile(log, 'utf8').catch(() => '');
  const what = gone
    ? `exited (${child.exitCode ?? child.signalCode})`
    : `did not accept in ${ACCEPT_LIMIT_MS} ms`;
  const hint = /ENOENT/.test(stderr) ? ' (is it installed? apt-get install nutcracker)' : '';
  throw new Error(`nutcracker on port ${port} ${what}${hint}: ${`${stderr}\n${logged}`.trim()}`);
}

function readStats(statsPort: number): Promise<NutcrackerPoolStats> {
  return new Promise((resolve, reject) => {
    // twemproxy writes one JSON document and closes the connection.
    const socket = connect(statsPort, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2_000, () => socket.destroy(new Error('nutcracker stats: no answer in 2 s')));
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        const pool = (JSON.parse(text) as Record<string, Record<string, unknown>>)[POOL] ?? {};
        const requests: Record<string, number> = {};
        for (const [name, value] of Object.entries(pool)) {
          if (typeof value === 'object' && value !== null && 'requests' in value) {
            requests[name] = Number((value as { requests: unknown }).requests);
          }
        }
        resolve({
          client_err: Number(pool['client_err']),
          client_eof: Number(pool['client_eof']),
          client_connections: Number(pool['client_connections']),
          requests,
        });
      } catch (error) {
        reject(error);
      }
    });
  });
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

/** By our child's pid only, never by name: other nutcracker processes are left alone. */
function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(child.pid, sig);
  } catch {
    // Gone between the check and the kill.
  }
}

async function removeDir(dir: string): Promise<void> {
  dirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) signal(child, 'SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
