import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The Python that Debian's python3-pylibmc is installed for: `python3` on PATH may be another one
 * (pyenv, a virtualenv) that cannot import it. scripts/ensure-memcached.mjs checks the same one.
 */
export const PYTHON =
  process.env['MEMWIRE_PYTHON'] ||
  (process.platform === 'linux' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/**
 * Runs test/interop/python/<script> with `input` as JSON on stdin and returns its stdout as JSON. The
 * process is killed by its pid if it outlives `timeoutMs`, so a hung peer client fails the test.
 */
export function runPython<T>(script: string, input: unknown, timeoutMs = 15_000): Promise<T> {
  const path = fileURLToPath(new URL(`python/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path], { stdio: ['pipe', 'pipe', 'pipe'] });
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
