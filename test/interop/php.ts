import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The PHP CLI that Debian's php-memcached is installed for (scripts/ensure-memcached.mjs checks it). */
const PHP = 'php';

/**
 * Runs test/interop/php/<script> with `input` as JSON on stdin and returns its stdout as JSON. The
 * process is killed by its pid if it outlives `timeoutMs`, so a hung PHP fails the test.
 */
export function runPhp<T>(script: string, input: unknown, timeoutMs = 15_000): Promise<T> {
  const path = fileURLToPath(new URL(`php/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(PHP, [path], { stdio: ['pipe', 'pipe', 'pipe'] });
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
