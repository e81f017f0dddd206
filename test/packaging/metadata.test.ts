// What a registry visitor needs to find the source and report a bug: npm shows `repository`,
// `homepage` and `bugs` on the package page, and `npm repo` / `npm bugs` / `npm home` open them.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const packagesDir = new URL('../../packages/', import.meta.url);
const published = readdirSync(packagesDir)
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(new URL(`${dir}/package.json`, packagesDir), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

describe('published package.json metadata', () => {
  test('there are packages to check', () => {
    expect(published.length).toBeGreaterThanOrEqual(6);
  });
  test.each(published.map(({ dir, pkg }) => [pkg.name as string, dir, pkg]))(
    '%s links its source folder, README and issue tracker',
    (_name, dir, pkg) => {
      expect(pkg.repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/memwire/memwire.git',
        directory: `packages/${dir}`,
      });
      expect(pkg.homepage).toBe(`https://github.com/memwire/memwire/tree/main/packages/${dir}#readme`);
      expect(pkg.bugs).toEqual({ url: 'https://github.com/memwire/memwire/issues' });
    },
  );
});
