// `npm run smoke` must prove `engines: >=20` on a real Node 20, not on the tools' Node 24.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const scripts = fileURLToPath(new URL('../../scripts/', import.meta.url));

/** Runs findMachineNode() from scripts/machine-node.mjs under the given PATH. */
function findMachineNode(path: string): string {
  return execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { findMachineNode } from ${JSON.stringify(join(scripts, 'machine-node.mjs'))};
       process.stdout.write(String(findMachineNode({ PATH: ${JSON.stringify(path)} })));`,
    ],
    { encoding: 'utf8' },
  );
}

describe('the Node 20 smoke test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memwire-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('refuses to run on a Node other than the one it was asked for, naming the binary', () => {
    // vitest runs on the tools' Node 24: the smoke script must not count that as a Node 20 run.
    const major = process.versions.node.split('.')[0];
    const run = spawnSync(process.execPath, [join(scripts, 'smoke-node20.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, MEMWIRE_SMOKE_NODE_MAJOR: major === '20' ? '22' : '20' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(process.execPath);
    expect(run.stderr).toContain(process.version);
  });

  test('finds the first node on PATH outside node_modules', () => {
    const npmBin = join(dir, 'project', 'node_modules', '.bin');
    const machineBin = join(dir, 'usr', 'bin');
    for (const bin of [npmBin, machineBin]) {
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'node'), '#!/bin/sh\n');
      chmodSync(join(bin, 'node'), 0o755);
    }
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(findMachineNode([npmBin, empty, machineBin].join(delimiter))).toBe(join(machineBin, 'node'));
    expect(findMachineNode(npmBin)).toBe('undefined');
  });

  test('the machine this runs on has a Node 20 outside node_modules', () => {
    // CI and the dev machines are Debian with its nodejs package; npm scripts put Node 24 first on PATH.
    const node = findMachineNode(process.env.PATH ?? '');
    expect(node).not.toContain('node_modules');
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' })).toMatch(/^v20\./);
  });
});
