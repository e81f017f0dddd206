import { spawn } from 'node:child_process';

/**
 * Runs `command script` with `input` as JSON on stdin and returns its stdout parsed as JSON: how the
 * interop tests talk to the Python and PHP peer clients. The process is killed by its pid if it
 * outlives `timeoutMs`, so a hung peer fails the test instead of hanging it.
 */
export function runJsonScript<T>(
  command: string,
  script: string,
  input: unknown,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${script} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${script} exited with ${code}: ${stderr.trim()}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin.end(JSON.stringify(input));
  });
}
