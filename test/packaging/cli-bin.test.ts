// `npx memwire doctor` in a fresh clone: npm links workspace bins at `npm install`, before the build,
// and links none whose file is missing then, so the bin must be a committed file, not a build output.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cliDir = join(root, 'packages', 'cli');
const cliPkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8'));
const tracked = execFileSync('git', ['ls-files', 'packages/cli'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);

describe('the memwire bin in a clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memwire-bin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('npm install links it before anything is built', () => {
    // A workspace holding only what git holds of packages/cli (no dist/, as in a fresh clone), and no
    // dependencies, so the install needs no registry.
    const pkgDir = join(dir, 'packages', 'cli');
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'clone', private: true, workspaces: ['packages/*'] }),
    );
    writeFileSync(
      join(pkgDir, 'package.json'),
      JSON.stringify({ name: cliPkg.name, version: cliPkg.version, type: 'module', bin: cliPkg.bin }),
    );
    for (const file of tracked.filter((path) => path.startsWith('packages/cli/bin/'))) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      copyFileSync(join(root, file), join(dir, file));
    }
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: dir,
      stdio: 'pipe',
    });
    expect(existsSync(join(dir, 'node_modules', '.bin', 'memwire'))).toBe(true);
    // Unbuilt, it says what to do instead of a module-not-found stack trace.
    const run = spawnSync(process.execPath, [join(dir, 'node_modules', '.bin', 'memwire'), '--version'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'memwire: the CLI is not built yet; run `npm run build` at the repository root\n',
    );
  });

  test('the bin file is committed and published', () => {
    expect(tracked).toContain(join('packages/cli', cliPkg.bin.memwire));
    expect(cliPkg.files).toContain('bin');
  });

  test('npx --no-install memwire runs the built CLI from the repository root', () => {
    const version = execFileSync('npx', ['--no-install', 'memwire', '--version'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(version.trim()).toBe(cliPkg.version);
  });
});
