import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { moduleOf, snippetsOf } from '../../../test/docs/snippets.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'nest10');
const vitest = resolve(fixture, '../../../../node_modules/vitest/vitest.mjs');
const tsc = resolve(fixture, '../../../../node_modules/typescript/bin/tsc');

/** The fixture's Nest major, or undefined when its node_modules is not installed. */
function installedNestMajor(): string | undefined {
  const manifest = join(fixture, 'node_modules/@nestjs/core/package.json');
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version.split('.')[0];
}

beforeAll(() => {
  // Nest 10 cannot sit in the workspace's node_modules beside the current major (see nest10/package.json),
  // so its own, pinned by nest10/package-lock.json, is installed here on first use.
  if (installedNestMajor() !== '10') {
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: fixture,
      stdio: 'ignore',
    });
  }
}, 300_000);

interface JsonReport {
  numTotalTests: number;
  numPassedTests: number;
  testResults: Array<{
    assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
  }>;
}

/** Runs nest10/*.test.ts in a vitest of their own (see nest10/vitest.config.ts) and reads its JSON report. */
function runNest10Suite(): Promise<{ code: number | null; report: JsonReport | undefined; output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const reportDir = mkdtempSync(join(tmpdir(), 'memwire-nest10-'));
  const reportFile = join(reportDir, 'report.json');
  const args = [vitest, 'run', '--config', 'vitest.config.ts', '--reporter=default', '--reporter=json'];
  const child = spawn(process.execPath, [...args, `--outputFile.json=${reportFile}`], {
    cwd: fixture,
    env: { ...env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((done) => {
    child.once('exit', (code) => {
      let report: JsonReport | undefined;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as JsonReport;
      } catch {
        report = undefined;
      } finally {
        rmSync(reportDir, { recursive: true, force: true });
      }
      done({ code, report, output: `${stdout}\n${stderr}` });
    });
  });
}

describe('Nest 10, @nestjs/cache-manager 2, cache-manager 5, @nestjs/terminus 11', () => {
  test('the Nest 10 suite passes (test/nest10/nest10.test.ts)', async () => {
    const { code, report, output } = await runNest10Suite();
    const results = report?.testResults.flatMap((file) => file.assertionResults) ?? [];
    const failed = results.filter((result) => result.status !== 'passed');
    expect(
      failed.map((result) => `${result.fullName}: ${result.failureMessages.join('\n')}`),
      output,
    ).toEqual([]);
    expect(code, output).toBe(0);
    expect(results.map((result) => result.fullName)).toEqual([
      'this suite runs on Nest 10',
      'MemwireModule on Nest 10 forRootAsync and injection by token and by type; app.close() closes the client',
      'MemwireModule on Nest 10 @CacheResponse on Express 4: stored whole, private never, 304 from the cache, a POST invalidates',
      "@nestjs/cache-manager 2 with cache-manager 5 on the legacy memwireStore Nest's CacheInterceptor caches in memcached: another application instance gets the stored value",
      '@nestjs/cache-manager 2 with cache-manager 5 on the legacy memwireStore CacheModule.register({ store: memwireStore, … }): the factory form, with a client of its own',
      'MemwireHealthIndicator on @nestjs/terminus 11 (Nest 10)',
    ]);
  }, 120_000);

  test("the package's source type-checks against Nest 10's and terminus 11's declarations", () => {
    // nest10/tsconfig.json maps every Nest import of ../src and of the tests to this folder's Nest 10.
    const check = () =>
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', join(fixture, 'tsconfig.json')], {
        encoding: 'utf8',
      });
    expect(check).not.toThrow();
  }, 60_000);

  test("the README's Nest 10 blocks type-check against Nest 10's declarations", () => {
    // Marked `<!-- snippet: nest10 -->` in the README; test/docs/readme-snippets.test.ts checks the rest.
    const readme = resolve(fixture, '../../README.md');
    const blocks = snippetsOf(readme, 'packages/nestjs/README.md').filter((snippet) => snippet.nest10);
    expect(blocks.length).toBeGreaterThan(0);
    const dir = join(fixture, '.readme-snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const [index, snippet] of blocks.entries()) {
      writeFileSync(join(dir, `snippet-${index}.mts`), moduleOf(snippet).source);
    }
    // Extends the fixture's config, whose paths send every Nest import to Nest 10.
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../tsconfig.json', include: ['*.mts'], compilerOptions: { noEmit: true } }),
    );
    const check = () =>
      execFileSync(
        process.execPath,
        [tsc, '--noEmit', '--pretty', 'false', '-p', join(dir, 'tsconfig.json')],
        {
          encoding: 'utf8',
        },
      );
    expect(check).not.toThrow();
  }, 60_000);
});
