import { spawn } from 'node:child_process';

export interface NodeScriptRun {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NodeScriptOptions {
  /** Arguments after the script (`process.argv` from index 1). */
  args?: readonly string[] | undefined;
  cwd?: string | undefined;
  /** Added to a bare environment holding PATH only. */
  env?: Record<string, string> | undefined;
  /** The Node binary to run it on. @default the Node running the tests */
  node?: string | undefined;
  /** Longest wait for the process to exit by itself, in ms. @default 10000 */
  limitMs?: number | undefined;
}

/**
 * Runs an ES module `script` in a child of the Node running the tests and resolves once it exits by
 * itself: the proof that nothing it made (a socket, a timer) keeps a process alive. Not a timing
 * assertion: the limit only ends (by its pid) and reports a process that would otherwise never end.
 */
export function runNodeScript(script: string, options: NodeScriptOptions = {}): Promise<NodeScriptRun> {
  const limitMs = options.limitMs ?? 10_000;
  const child = spawn(
    options.node ?? process.execPath,
    ['--input-type=module', '-e', script, ...(options.args ?? [])],
    {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(
        new Error(
          `the child did not exit by itself within ${limitMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      );
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
  });
}
