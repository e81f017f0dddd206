import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { MEMWIRE_STORE_DEFAULTS } from '../../packages/cache-manager/src/legacy-store.js';
import { WRAP_LOCK_DEFAULTS } from '../../packages/cache-manager/src/lock.js';
import { MEMORY_TIER_DEFAULTS } from '../../packages/cache-manager/src/memory-tier.js';
import { MEMWIRE_CACHE_DEFAULTS } from '../../packages/cache-manager/src/options.js';
import { DASHBOARD_DEFAULTS } from '../../packages/cli/src/dashboard/handler.js';
import { DEFAULT_OPTIONS } from '../../packages/core/src/config/defaults.js';
import { HTTP_CACHE_DEFAULTS } from '../../packages/http-cache/src/config.js';
import { KEYV_MEMWIRE_DEFAULTS } from '../../packages/keyv/src/options.js';
import { MEMWIRE_INSTRUMENTATION_DEFAULTS } from '../../packages/opentelemetry/src/options.js';
import { RATE_LIMIT_DEFAULTS } from '../../packages/rate-limit/src/options.js';
import { CACHE_ROUTER_DEFAULTS } from '../../packages/rest/src/options.js';
import { SESSION_STORE_DEFAULTS } from '../../packages/session/src/options.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

interface Row {
  /** Every option the row names: `retryDelay` / `maxRetryDelay` names two. */
  names: string[];
  /** The literals in the default cell, as written between backticks. */
  defaults: string[];
}

/** The first `| option | default | meaning |` table after `heading` (a whole heading line) in `readme`. */
function tableAfter(readme: string, heading: string): Row[] {
  const text = readFileSync(join(root, readme), 'utf8');
  const start = text.split('\n').findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`${readme} has no heading "${heading}"`);
  const lines = text.split('\n').slice(start + 1);
  const first = lines.findIndex((line) => /^\|\s*option\s*\|/.test(line));
  const rows: Row[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const [name = '', defaults = ''] = line
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    rows.push({
      names: [...name.matchAll(/`([^`]+)`/g)].map((match) => match[1]!),
      defaults: [...defaults.matchAll(/`([^`]+)`/g)].map((match) => match[1]!),
    });
  }
  return rows;
}

/** The members an interface declares itself (not those it inherits: the tables list those elsewhere). */
function declaredMembers(file: string, name: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest);
  let members: string[] | undefined;
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name) {
      members = node.members.flatMap((member) =>
        member.name !== undefined && ts.isIdentifier(member.name) ? [member.name.text] : [],
      );
    }
  });
  if (members === undefined) throw new Error(`${file} declares no interface ${name}`);
  return members;
}

/** A default as the tables write it: `'X-Cache'`, `1000`, `false`, `undefined`. */
function literal(value: unknown): string | undefined {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  return undefined; // a function (isCacheable): described in words
}

interface Table {
  readme: string;
  heading: string;
  /** The options types and the files declaring them (a type and the one it extends, say). */
  options: { file: string; name: string }[];
  /** Defaults by option name (`memory.max` for a nested one). */
  defaults: Record<string, unknown>;
  /** Options the type declares that the README documents outside the table, and why. */
  inText?: Record<string, string>;
  /** Defaults given in another option's row: `autoDiscoveryInterval` in `autoDiscovery`'s. */
  rowOf?: Record<string, string>;
}

const tables: Table[] = [
  {
    readme: 'packages/core/README.md',
    heading: '## Options',
    options: [{ file: 'packages/core/src/config/options.ts', name: 'ClientOptions' }],
    defaults: Object.fromEntries(
      // The floor is not an option: maxReplyValueSize's default is the larger of it and maxValueSize.
      Object.entries(DEFAULT_OPTIONS).filter(([name]) => name !== 'maxReplyValueSizeFloor'),
    ),
    rowOf: { autoDiscoveryInterval: 'autoDiscovery' },
  },
  {
    readme: 'packages/http-cache/README.md',
    heading: '## Options',
    options: [{ file: 'packages/http-cache/src/config.ts', name: 'HttpCacheOptions' }],
    defaults: HTTP_CACHE_DEFAULTS,
  },
  {
    readme: 'packages/keyv/README.md',
    heading: '## Options',
    options: [{ file: 'packages/keyv/src/options.ts', name: 'KeyvMemwireOptions' }],
    defaults: KEYV_MEMWIRE_DEFAULTS,
  },
  {
    readme: 'packages/rate-limit/README.md',
    heading: '## Options',
    options: [{ file: 'packages/rate-limit/src/options.ts', name: 'RateLimitOptions' }],
    defaults: RATE_LIMIT_DEFAULTS,
  },
  {
    readme: 'packages/cache-manager/README.md',
    heading: '### Options',
    options: [{ file: 'packages/cache-manager/src/options.ts', name: 'MemwireCacheOptions' }],
    defaults: {
      ...MEMWIRE_CACHE_DEFAULTS,
      ...Object.fromEntries(
        Object.entries(MEMORY_TIER_DEFAULTS).map(([name, value]) => [`memory.${name}`, value]),
      ),
      ...Object.fromEntries(
        Object.entries(WRAP_LOCK_DEFAULTS).map(([name, value]) => [`lock.${name}`, value]),
      ),
    },
  },
  {
    readme: 'packages/cache-manager/README.md',
    heading: '## cache-manager 5 and `@nestjs/cache-manager` 2',
    options: [{ file: 'packages/cache-manager/src/legacy-store.ts', name: 'MemwireStoreOptions' }],
    defaults: MEMWIRE_STORE_DEFAULTS,
  },
  {
    readme: 'packages/rest/README.md',
    heading: '## Options',
    options: [{ file: 'packages/rest/src/options.ts', name: 'CacheRouterOptions' }],
    defaults: Object.fromEntries(
      // The client's: the table's `memcached` row gives it.
      Object.entries(CACHE_ROUTER_DEFAULTS).filter(([name]) => name !== 'maxValueSize'),
    ),
    inText: { allowCrossSite: 'a paragraph of its own under the table, with its default' },
  },
  {
    readme: 'packages/opentelemetry/README.md',
    heading: '## Options',
    options: [{ file: 'packages/opentelemetry/src/options.ts', name: 'MemwireInstrumentationConfig' }],
    defaults: MEMWIRE_INSTRUMENTATION_DEFAULTS,
  },
  {
    readme: 'packages/cli/README.md',
    heading: '### `memwire dashboard [--port <port>] [--host <host>] [--interval <seconds>]`',
    options: [{ file: 'packages/cli/src/dashboard/handler.ts', name: 'DashboardOptions' }],
    defaults: DASHBOARD_DEFAULTS,
  },
  {
    readme: 'packages/nestjs/README.md',
    heading: '## Options',
    options: [
      { file: 'packages/nestjs/src/options.ts', name: 'MemwireModuleOptions' },
      { file: 'packages/nestjs/src/options.ts', name: 'MemwireClientOptions' },
    ],
    defaults: {},
  },
  {
    readme: 'packages/session/README.md',
    heading: '## Options',
    options: [{ file: 'packages/session/src/options.ts', name: 'MemwireSessionStoreOptions' }],
    defaults: SESSION_STORE_DEFAULTS,
  },
];

describe.each(tables)('the options table of $readme under "$heading"', (table) => {
  const rows = tableAfter(table.readme, table.heading);
  const documented = new Map(rows.flatMap((row) => row.names.map((name) => [name, row] as const)));

  const types = table.options.map((type) => type.name).join(' and ');
  test(`names every option ${types} declares, and no other`, () => {
    const declared = table.options.flatMap((type) => declaredMembers(type.file, type.name));
    const inText = Object.keys(table.inText ?? {});
    expect(declared.filter((name) => !documented.has(name) && !inText.includes(name))).toEqual([]);
    const topLevel = [...documented.keys()].map((name) => name.split('.')[0]!);
    expect(topLevel.filter((name) => !declared.includes(name))).toEqual([]);
  });

  test('gives each default as the code has it', () => {
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(table.defaults)) {
      if (table.inText?.[name] !== undefined) continue;
      const row = documented.get(table.rowOf?.[name] ?? name);
      const expected = literal(value);
      if (row === undefined) wrong.push(`${name}: no row`);
      else if (expected !== undefined && !row.defaults.includes(expected))
        wrong.push(
          `${name}: the code says ${expected}, the table ${row.defaults.join(' / ') || 'nothing in backticks'}`,
        );
    }
    expect(wrong).toEqual([]);
  });
});
