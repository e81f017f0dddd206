import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built binary: these tests run what `npm install -g @memwire/cli` would run. */
export const CLI = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));

/** Generous: no test asserts on time, this only stops a hung binary from hanging the suite. */
const RUN_TIMEOUT_MS = 15_000;

export function assertBuilt(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run "npm run build" at the repository root first`);
  }
}

/**
 * The test process's environment without anything that configures memwire or colours, so a
 * developer's MEMCACHE_SERVERS (or CI's) cannot leak into a test; each test adds what it means.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(MEMCACHE_|MEMCACHIER_|IRON_|NO_COLOR$|FORCE_COLOR$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  input?: string | Buffer;
}

/** Runs `memwire ARGS…` to completion with pipes for stdio (so not a TTY). */
export function runCli(args: string[], options: RunOptions = {}): Promise<Run> {
  const child = spawnCli(args, options);
  // The CLI may exit without reading stdin (most commands do): a closed pipe is not an error here.
  child.stdin?.on('error', () => {});
  child.stdin?.end(options.input ?? '');
  return finished(child);
}

/** Starts `memwire ARGS…` and leaves it running; the caller ends it (e.g. with SIGINT). */
export function spawnCli(args: string[], options: RunOptions = {}): ChildProcess & { output: Run } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: RUN_TIMEOUT_MS,
  }) as ChildProcess & { output: Run };
  child.output = { code: null, signal: null, stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    child.output.stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    child.output.stderr += text;
  });
  return child;
}

/** Resolves once the process has exited and its output streams are drained. */
export function finished(child: ChildProcess & { output: Run }): Promise<Run> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      child.output.code = code;
      child.output.signal = signal;
      resolve(child.output);
    });
  });
}

/** Resolves when `check` holds for the output so far (polled), or rejects after `ms`. */
export async function waitForOutput(
  child: ChildProcess & { output: Run },
  check: (output: Run) => boolean,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check(child.output)) {
    if (child.exitCode !== null) throw new Error(`memwire exited early: ${child.output.stderr}`);
    if (Date.now() > deadline) throw new Error(`no such output within ${ms} ms: ${child.output.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** JSON from stdout, with the raw text in the failure message when it does not parse. */
export function parseJson<T = Record<string, unknown>>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** The ESC byte that starts every ANSI (ECMA-48) colour or cursor sequence. */
export const ANSI = /\x1b/;
