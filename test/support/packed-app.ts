import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { ensureBuilt } from './ensure-built.js';
import { type MemcachedServer, startMemcached } from './servers/index.mjs';

/**
 * An application folder as a user makes one, outside the workspace: `packages` (folder names under
 * packages/) packed with `npm pack` into `folder` and installed from those tarballs, with `others`
 * (name → version) from npm's cache, which the workspace's own install filled. Builds must exist.
 */
export function installPackedApp(options: {
  root: string;
  folder: string;
  packages: readonly string[];
  others: Record<string, string>;
  manifest?: Record<string, unknown>;
}): void {
  const dependencies: Record<string, string> = {};
  for (const name of options.packages) {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', options.folder], {
      cwd: join(options.root, 'packages', name),
      encoding: 'utf8',
    });
    dependencies[`@memwire/${name}`] = `file:${join(options.folder, out.trim().split('\n').at(-1)!)}`;
  }
  writeFileSync(
    join(options.folder, 'package.json'),
    JSON.stringify({
      private: true,
      ...options.manifest,
      dependencies: { ...dependencies, ...options.others },
    }),
  );
  execFileSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: options.folder,
    stdio: 'ignore',
  });
}

/** The version of `name` the workspace installed, so a packed app gets the one the suite tested. */
export function workspaceVersion(root: string, name: string): string {
  return (
    JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

/** The repository's root. */
export const REPOSITORY_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/**
 * For one test file: a clean app folder (prefix `name`) holding `packages` from their tarballs and
 * `others` at the workspace's versions, and a memcached for it, made before the file's tests and
 * removed (the folder; the server ended by pid) after them. The getters hold once `beforeAll` ran.
 */
export function usePackedApp(options: {
  name: string;
  packages: readonly string[];
  others: readonly string[];
  manifest: Record<string, unknown>;
}): { folder(): string; memcached(): MemcachedServer } {
  let folder: string | undefined;
  let memcached: MemcachedServer | undefined;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), `memwire-${options.name}-`));
    for (const name of options.packages) ensureBuilt(join(REPOSITORY_ROOT, 'packages', name));
    installPackedApp({
      root: REPOSITORY_ROOT,
      folder,
      packages: options.packages,
      others: Object.fromEntries(
        options.others.map((name) => [name, workspaceVersion(REPOSITORY_ROOT, name)]),
      ),
      manifest: { name: options.name, ...options.manifest },
    });
    memcached = await startMemcached();
  }, 300_000);
  afterAll(async () => {
    await memcached?.stop();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });
  return { folder: () => folder!, memcached: () => memcached! };
}
