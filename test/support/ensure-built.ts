import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Builds the package in `packageDir` with tsdown unless `dist/index.mjs` is there: CI builds before
 * vitest, and a local run of a test that loads the published build gets one here.
 */
export function ensureBuilt(packageDir: string): void {
  if (existsSync(join(packageDir, 'dist/index.mjs'))) return;
  execFileSync(process.execPath, [resolve(packageDir, '../../node_modules/tsdown/dist/run.mjs')], {
    cwd: packageDir,
    stdio: 'ignore',
  });
}
