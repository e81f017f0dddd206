// Every server process this library starts, and the temporary directories their files live in.
// The rule: a process is only ever signalled by its own pid (never by name, so another user's
// memcached is left alone), and nothing started here outlives the Node process that started it.
import { spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const STDERR_LIMIT = 16 * 1024;
export const STOP_GRACE_MS = 2_000;
// SIGHUP too: closing the terminal of `npm run demo` must not orphan its memcached.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Started and not yet seen to exit. */
const running = new Set();
/** Created and not yet removed. */
const dirs = new Set();
let hooksInstalled = false;

export function startProcess(binary, args, options = {}) {
  installHooks();
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: options.cwd });
  let stderr = '';
  let spawnError;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  // A forgotten server must not keep its parent alive: the exit hook ends it instead.
  child.unref();
  if (child.stderr instanceof Socket) child.stderr.unref();
  const proc = {
    child,
    get pid() {
      return child.pid;
    },
    get spawnError() {
      return spawnError;
    },
    stderr: () => stderr,
    isRunning: () => isRunning(child),
    exited: undefined,
  };
  running.add(proc);
  proc.exited = new Promise((resolve) => {
    child.once('exit', () => resolve());
    // A failed spawn (ENOENT) emits 'error' and may never emit 'exit'.
    child.once('error', (error) => {
      spawnError = error;
      stderr += String(error);
      resolve();
    });
  }).then(() => {
    running.delete(proc);
  });
  return proc;
}

/** Sends `sig` by pid and waits until the process has exited. */
export async function endProcess(proc, sig = 'SIGKILL') {
  // The child is unref'd; someone awaiting its exit must keep the process alive until it comes, or
  // a script whose only pending work is this wait ends early, with exit code 0 (seen in bench/cluster).
  if (proc.isRunning()) proc.child.ref();
  signal(proc, sig);
  await proc.exited;
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopProcess(proc, graceMs = STOP_GRACE_MS) {
  if (!proc.isRunning()) return proc.exited;
  const timer = setTimeout(() => signal(proc, 'SIGKILL'), graceMs);
  try {
    await endProcess(proc, 'SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}

/** Ends, with SIGKILL, every process started here that is still running. */
export async function killAllProcesses() {
  await Promise.all([...running].map((proc) => endProcess(proc, 'SIGKILL')));
}

export function runningPids() {
  return [...running].flatMap((proc) => (proc.pid === undefined ? [] : [proc.pid]));
}

export async function makeTempDir(prefix) {
  installHooks();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Marks `dir` as ours again, for a restart that rewrites the files a stop removed. */
export function trackDir(dir) {
  dirs.add(dir);
}

export async function removeTempDir(dir) {
  dirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** The first executable `name` in PATH (and `extra` dirs), or undefined. */
export function findOnPath(name, extra = []) {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter), ...extra]) {
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

function isRunning(child) {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function signal(proc, sig) {
  if (!isRunning(proc.child)) return;
  try {
    process.kill(proc.child.pid, sig);
  } catch {
    // Gone between the check and the kill.
  }
}

function killAllNow() {
  for (const proc of running) signal(proc, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function installHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is all there is time for. It runs on process.exit(),
  // on the end of the event loop, and after an uncaught exception.
  process.once('exit', killAllNow);
  // First in line, so a program's `process.once` handler is still counted when this one runs.
  for (const sig of SIGNALS) process.prependListener(sig, () => onSignal(sig));
}

/**
 * Listening for a signal takes away Node's default (die at once), so this must not change how the
 * process reacts to it. When the program has its own handler (the demo's graceful stop), that one
 * decides, and the 'exit' hook still ends our children when it exits. When ours is the only one,
 * end the children, then die of the same signal, as the process would have without this library.
 */
function onSignal(sig) {
  if (process.listenerCount(sig) > 1) return;
  killAllNow();
  process.removeAllListeners(sig);
  process.kill(process.pid, sig);
}
