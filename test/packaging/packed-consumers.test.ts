import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { findMachineNode } from '../../scripts/machine-node.mjs';
import { readmeSnippets, runnableSource } from '../docs/snippets.js';
import { REPOSITORY_ROOT, usePackedApp } from '../support/packed-app.js';

// A new user's app: a clean folder outside the workspace (no "type": "module", as npm 11's
// `npm init -y` writes "commonjs"), the packages installed from the tarballs `npm pack` makes, with
// the frameworks they sit on. The README's runnable blocks run there as .mjs, and each package is
// used from CommonJS as well, on the machine's own Node (20 on CI), never the toolchain's.

/** Every published package but @memwire/nestjs, whose packed test (packages/nestjs/test) brings Nest. */
const PACKAGES = [
  'core',
  'http-cache',
  'express',
  'fastify',
  'rest',
  'keyv',
  'cache-manager',
  'rate-limit',
  'session',
  'cli',
  'opentelemetry',
];
const node = findMachineNode() ?? process.execPath;

const packed = usePackedApp({
  name: 'first-day',
  packages: PACKAGES,
  others: [
    'express',
    'fastify',
    'keyv',
    'cache-manager',
    'express-session',
    '@opentelemetry/api',
    '@opentelemetry/instrumentation',
  ],
  manifest: { type: 'commonjs' },
});

const runInApp = packed.run;

describe('installed from packed tarballs into a clean app', () => {
  test('runs on the machine’s own Node', async () => {
    const printed = await runInApp('version.cjs', 'console.log(process.version);');
    expect(printed).toBe(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim());
  });

  const runnable = readmeSnippets(REPOSITORY_ROOT).filter(
    (snippet) => snippet.run && snippet.file !== 'README.md',
  );
  test.each(runnable.map((snippet) => [snippet.where, snippet] as const))(
    '%s runs as an ES module (.mjs) and exits by itself',
    async (_where, snippet) => {
      await runInApp(`snippet-${snippet.line}.mjs`, runnableSource(snippet));
    },
    30_000,
  );

  test('every package loads with require() from CommonJS', async () => {
    const source = `
const names = ${JSON.stringify(PACKAGES.map((name) => `@memwire/${name}`))};
console.log(JSON.stringify(names.map((name) => [name, Object.keys(require(name)).length > 0])));
`;
    const loaded = JSON.parse(await runInApp('load.cjs', source)) as [string, boolean][];
    expect(loaded).toEqual(PACKAGES.map((name) => [`@memwire/${name}`, true]));
  });

  test('CommonJS: the core client, Keyv and cache-manager stores, as their READMEs show', async () => {
    const source = `
const { createClient } = require('@memwire/core');
const { createKeyv } = require('@memwire/keyv');
const { createMemwireCache } = require('@memwire/cache-manager');
(async () => {
  const client = createClient();
  await client.set('cjs:user', { name: 'Ada' }, { ttl: 60 });
  const user = await client.get('cjs:user');
  await client.close();
  const keyv = createKeyv({ namespace: 'cjs', ttl: 60_000 });
  await keyv.set('a', 1);
  const a = await keyv.get('a');
  await keyv.disconnect();
  const cache = createMemwireCache({ namespace: 'cjs', ttl: 60_000, memory: true });
  const report = await cache.wrap('report', async () => 'built');
  await cache.disconnect();
  console.log(JSON.stringify({ user, a, report }));
})();
`;
    expect(JSON.parse(await runInApp('stores.cjs', source))).toEqual({
      user: { name: 'Ada' },
      a: 1,
      report: 'built',
    });
  });

  test('CommonJS: Express and Fastify response caches answer MISS, then HIT', async () => {
    const source = `
const express = require('express');
const Fastify = require('fastify');
const { responseCache } = require('@memwire/express');
const fastifyCache = require('@memwire/fastify');
const prefix = 'cjs-' + Date.now() + ':';
(async () => {
  const cache = responseCache({ ttl: 30, keyPrefix: prefix + 'express:' });
  const server = express().get('/page', cache, (req, res) => res.json({ at: 'express' })).listen(0);
  await new Promise((done) => server.once('listening', done));
  const url = 'http://127.0.0.1:' + server.address().port + '/page';
  const expressAnswers = [];
  for (let i = 0; i < 2; i++) {
    const response = await fetch(url);
    expressAnswers.push(response.headers.get('x-cache'));
    await response.text();
    await cache.settled();
  }
  await new Promise((done) => server.close(done));
  await cache.close();

  const app = Fastify();
  await app.register(fastifyCache.responseCache, { ttl: 30, keyPrefix: prefix + 'fastify:' });
  app.get('/page', async () => ({ at: 'fastify' }));
  const fastifyAnswers = [];
  for (let i = 0; i < 2; i++) {
    fastifyAnswers.push((await app.inject({ url: '/page' })).headers['x-cache']);
    await app.responseCache.settled();
  }
  await app.close();
  console.log(JSON.stringify({ expressAnswers, fastifyAnswers }));
})();
`;
    expect(JSON.parse(await runInApp('http.cjs', source))).toEqual({
      expressAnswers: ['MISS', 'HIT'],
      fastifyAnswers: ['MISS', 'HIT'],
    });
  });
});
