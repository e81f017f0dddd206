import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';

/**
 * memcached on port 11211 of another loopback address (127.0.0.2, 127.0.0.3, …), so a ring with
 * port 11211 spelled in it — where libmemcached hashes `host-j`, not `host:port-j` — can be tested
 * against real servers while 127.0.0.1:11211 belongs to someone else. Linux routes all of
 * 127.0.0.0/8 to the loopback interface; elsewhere, or when the address is taken, start() throws
 * and the caller skips.
 */
export interface LoopbackServer {
  readonly host: string;
  readonly port: 11211;
  readonly pid: number;
  stop(): Promise<void>;
}

const ACCEPT_LIMIT_MS = 5_000;
const STOP_GRACE_MS = 2_000;

/** Started and not yet seen exit, so a crashed test run does not leave them behind. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const each of running) if (each.pid !== undefined) process.kill(each.pid, 'SIGKILL');
  });
}

export async function startOnLoopback(host: string): Promise<LoopbackServer> {
  // Someone else's server already answering there would be taken for ours.
  if (await accepts(host)) throw new Error(`${host}:11211 is already in use`);
  const args = ['-l', host, '-p', '11211', '-U', '0', '-m', '8', '-t', '1'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn('memcached', args, { stdio: 'ignore' });
  killOnExit(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + ACCEPT_LIMIT_MS;
  while (!(await accepts(host))) {
    if (gone || Date.now() > deadline) {
      await end(child, exited);
      throw new Error(`memcached did not start on ${host}:11211`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (gone || child.pid === undefined) throw new Error(`memcached on ${host}:11211 exited at start`);
  const pid = child.pid;
  return { host, port: 11211, pid, stop: () => end(child, exited) };
}

/** SIGTERM by pid, SIGKILL after a grace period; resolves once the process has exited. */
async function end(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return exited;
  const pid = child.pid;
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function accepts(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(11211, host);
    socket.setTimeout(1_000);
    const settle = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}
