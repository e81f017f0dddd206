import { fileURLToPath } from 'node:url';
import { runJsonScript } from './run-json-script.js';

/** The PHP CLI that Debian's php-memcached is installed for (scripts/ensure-memcached.mjs checks it). */
const PHP = 'php';

/**
 * Runs test/interop/php/<script> with `input` as JSON on stdin and returns its stdout as JSON. The
 * process is killed by its pid if it outlives `timeoutMs`, so a hung PHP fails the test.
 */
export function runPhp<T>(script: string, input: unknown, timeoutMs = 15_000): Promise<T> {
  const path = fileURLToPath(new URL(`php/${script}`, import.meta.url));
  return runJsonScript<T>(PHP, path, input, timeoutMs);
}
