import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { findMachineNode } from '../../scripts/machine-node.mjs';
import { ensureBuilt } from './ensure-built.js';
import { runNodeScript } from './run-node-script.js';
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

/** An app made by {@link usePackedApp}. */
export interface PackedApp {
  folder(): string;
  memcached(): MemcachedServer;
  /**
   * Writes `source` to `file` in the app and runs it on the machine's own Node (20 on CI, never the
   * toolchain's), with MEMCACHE_SERVERS pointing at the app's memcached; it must exit 0 with nothing
   * on stderr. Resolves with its last line of output.
   */
  run(file: string, source: string): Promise<string>;
}

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
}): PackedApp {
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
  const node = findMachineNode() ?? process.execPath;
  return {
    folder: () => folder!,
    memcached: () => memcached!,
    async run(file, source) {
      writeFileSync(join(folder!, file), source);
      const run = await runNodeScript(`await import(${JSON.stringify(join(folder!, file))});`, {
        cwd: folder,
        node,
        env: { MEMCACHE_SERVERS: memcached!.address },
        limitMs: 20_000,
      });
      expect(run.stderr).toBe('');
      expect(run.code, run.stdout).toBe(0);
      return run.stdout.trim().split('\n').at(-1) ?? '';
    },
  };
}
