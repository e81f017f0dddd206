import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runJsonScript } from './run-json-script.js';

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
  return runJsonScript<T>(PYTHON, path, input, timeoutMs);
}
