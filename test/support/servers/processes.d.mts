import type { ChildProcess } from 'node:child_process';

/** A process started by {@link startProcess}: tracked until it exits, ended only by its pid. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /** Set when the spawn itself failed (e.g. ENOENT: not installed). */
  readonly spawnError: (Error & { code?: string }) | undefined;
  /** What it wrote to stderr (the first 16 KiB). */
  stderr(): string;
  isRunning(): boolean;
  /** Resolves once it has exited (or failed to spawn). */
  readonly exited: Promise<void>;
}

/** How long stopProcess waits after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS: number;

/**
 * Spawns `binary` (stdin and stdout ignored, stderr kept), unref'd so it never keeps its parent alive.
 * The first call installs the hooks that SIGKILL every tracked process on exit and on SIGINT, SIGTERM
 * and SIGHUP when the program has no handler of its own for that signal.
 */
export function startProcess(
  binary: string,
  args: readonly string[],
  options?: { cwd?: string },
): ServerProcess;
/** Sends `signal` by pid and resolves once the process has exited. @default 'SIGKILL' */
export function endProcess(proc: ServerProcess, signal?: NodeJS.Signals): Promise<void>;
/** SIGTERM by pid, SIGKILL after `graceMs`; resolves once it has exited. @default STOP_GRACE_MS */
export function stopProcess(proc: ServerProcess, graceMs?: number): Promise<void>;
/** SIGKILLs every tracked process still running and waits for each. */
export function killAllProcesses(): Promise<void>;
/** Pids of the tracked processes still running. */
export function runningPids(): number[];
/** A fresh directory under the OS temp dir, removed by the exit hook if not before. */
export function makeTempDir(prefix: string): Promise<string>;
export function trackDir(dir: string): void;
export function removeTempDir(dir: string): Promise<void>;
/** The first executable `name` in PATH and then in `extraDirs`, or undefined. */
export function findOnPath(name: string, extraDirs?: readonly string[]): string | undefined;
