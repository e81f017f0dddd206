import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../support/ensure-built.js';
import { type MemcachedServer, runNodeScript, startMemcached } from '../support/index.js';
import { moduleOf, otherBlocks, readmeSnippets, runnableSource, type Snippet } from './snippets.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** Inside the repository, so the snippets' imports resolve to the workspace's packages and tools. */
const workDir = join(root, 'node_modules/.cache/memwire-readme-snippets');

const snippets: Snippet[] = readmeSnippets(root);
/** Nest 10's blocks are checked by packages/nestjs/test/nest10.test.ts, which owns that install. */
const checkedHere = snippets.filter((snippet) => !snippet.nest10);

/** Writes every snippet as a module of its own; returns generated file → snippet and line offset. */
function writeModules(): Map<string, { snippet: Snippet; firstCodeLine: number }> {
  rmSync(workDir, { recursive: true, force: true });
  // The application files the snippets import (`./products.service`), as an application has them.
  cpSync(join(root, 'test/docs/fixtures'), workDir, { recursive: true });
  const files = new Map<string, { snippet: Snippet; firstCodeLine: number }>();
  checkedHere.forEach((snippet, index) => {
    const name = `${String(index).padStart(3, '0')}-${snippet.file.replace(/[^a-z0-9]+/gi, '-')}-${snippet.line}.${snippet.language === 'ts' ? 'mts' : 'mjs'}`;
    const { source, firstCodeLine } = moduleOf(snippet);
    writeFileSync(join(workDir, name), source);
    files.set(name, { snippet, firstCodeLine });
  });
  return files;
}

/** tsc's errors, each pointed at its README line. */
function typeErrors(
  config: Record<string, unknown>,
  include: string,
  files: Map<string, { snippet: Snippet; firstCodeLine: number }>,
): string[] {
  const configFile = join(workDir, 'tsconfig.json');
  writeFileSync(configFile, JSON.stringify({ compilerOptions: config, include: [include] }));
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', configFile], {
      encoding: 'utf8',
    });
    return [];
  } catch (error) {
    const output = String((error as { stdout?: string }).stdout ?? error);
    return output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => {
        const at = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
        const generated = at === null ? undefined : files.get(relative(workDir, resolve(at[1]!)));
        if (at === null || generated === undefined) return line;
        const codeLine = Number(at[2]) - generated.firstCodeLine;
        const where =
          codeLine >= 0
            ? `${generated.snippet.file}:${generated.snippet.line + codeLine}`
            : `${generated.snippet.where} (its prelude)`;
        return `${where}: ${at[4]}`;
      });
  }
}

const common = {
  target: 'ES2022',
  lib: ['ES2023', 'DOM'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  allowJs: true,
  checkJs: true,
  esModuleInterop: true,
  // Nest's decorators, as Nest's own project template compiles them.
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
};

describe('README code blocks', () => {
  let files: Map<string, { snippet: Snippet; firstCodeLine: number }>;
  let memcached: MemcachedServer;

  beforeAll(async () => {
    for (const name of readdirSync(join(root, 'packages'))) ensureBuilt(join(root, 'packages', name));
    files = writeModules();
    memcached = await startMemcached();
  }, 300_000);
  afterAll(async () => {
    await memcached?.stop();
  });

  test('are found in every package README', () => {
    const withCode = new Set(snippets.map((snippet) => snippet.file));
    for (const name of readdirSync(join(root, 'packages'))) {
      if (name === 'http-cache') continue; // its README holds the rules and the options table, no code
      expect(withCode, `packages/${name}/README.md has no code block`).toContain(
        `packages/${name}/README.md`,
      );
    }
    expect(snippets.length).toBeGreaterThanOrEqual(30);
  });

  test('in TypeScript type-check as ES modules under NodeNext resolution', () => {
    const nodeNext = { ...common, module: 'NodeNext', moduleResolution: 'NodeNext' };
    expect(typeErrors(nodeNext, '*.mts', files)).toEqual([]);
  }, 120_000);

  test('in TypeScript type-check under bundler resolution', () => {
    const bundler = { ...common, module: 'ESNext', moduleResolution: 'bundler' };
    expect(typeErrors(bundler, '*.mts', files)).toEqual([]);
  }, 120_000);

  test('in JavaScript type-check, as far as plain JavaScript says its types', () => {
    // Untyped parameters are what JavaScript is: everything else (imports, names, calls) is checked.
    const javascript = { ...common, module: 'NodeNext', moduleResolution: 'NodeNext', noImplicitAny: false };
    expect(typeErrors(javascript, '*.mjs', files)).toEqual([]);
  }, 120_000);

  const runnable = checkedHere.filter((snippet) => snippet.run);
  test('some are run, not only checked', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(6);
  });

  for (const snippet of runnable) {
    test(`${snippet.where} runs against memcached and exits by itself`, async () => {
      const run = await runNodeScript(runnableSource(snippet), {
        cwd: workDir,
        env: { MEMCACHE_SERVERS: memcached.address },
        limitMs: 15_000,
      });
      expect(run.stderr).toBe('');
      expect(run.code, run.stdout).toBe(0);
    }, 30_000);
  }
});

describe('README blocks of other languages', () => {
  test('JSON blocks parse', () => {
    const blocks = otherBlocks(root, 'json');
    expect(blocks.length).toBeGreaterThan(0);
    const broken = blocks.flatMap(({ where, code }) => {
      try {
        JSON.parse(code);
        return [];
      } catch (error) {
        return [`${where}: ${(error as Error).message}`];
      }
    });
    expect(broken).toEqual([]);
  });

  test('Python blocks compile', () => {
    const blocks = otherBlocks(root, 'python');
    expect(blocks.length).toBeGreaterThan(0);
    for (const { where, code } of blocks) {
      const check = () =>
        execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], {
          input: code,
          encoding: 'utf8',
          stdio: ['pipe', 'pipe', 'pipe'],
        });
      expect(check, where).not.toThrow();
    }
  });
});
