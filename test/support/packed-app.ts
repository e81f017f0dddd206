import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
