import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findMachineNode } from '../../scripts/machine-node.mjs';
import { ensureBuilt } from '../support/ensure-built.js';
import { type MemcachedServer, runNodeScript, startMemcached } from '../support/index.js';
import { installPackedApp, workspaceVersion } from '../support/packed-app.js';

// A Fastify app's sessions need no express-session: @memwire/session extends express-session's Store
// only when the app has it (src/base.ts). This app, made from the packed tarballs, has Fastify,
// @fastify/cookie and @fastify/session and no express-session at all.

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const node = findMachineNode() ?? process.execPath;
let app: string;
let memcached: MemcachedServer;
beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'memwire-fastify-session-'));
  for (const name of ['core', 'session']) ensureBuilt(join(root, 'packages', name));
  installPackedApp({
    root,
    folder: app,
    packages: ['core', 'session'],
    others: Object.fromEntries(
      ['fastify', '@fastify/cookie', '@fastify/session'].map((name) => [name, workspaceVersion(root, name)]),
    ),
    manifest: { name: 'fastify-sessions', type: 'commonjs' },
  });
  memcached = await startMemcached();
}, 300_000);
afterAll(async () => {
  await memcached?.stop();
  if (app !== undefined) rmSync(app, { recursive: true, force: true });
});

test('without express-session installed, the store loads and keeps a Fastify session across requests', async () => {
  writeFileSync(
    join(app, 'app.cjs'),
    `
const Fastify = require('fastify');
const { MemwireSessionStore } = require('@memwire/session');
let hasExpressSession = true;
try { require.resolve('express-session'); } catch { hasExpressSession = false; }
(async () => {
  const store = new MemwireSessionStore({ keyPrefix: 'fs' + Date.now() + ':' });
  const app = Fastify();
  await app.register(require('@fastify/cookie'));
  await app.register(require('@fastify/session'), {
    secret: 'a secret with minimum length of 32 characters',
    cookie: { secure: false, maxAge: 60_000 },
    store,
  });
  app.get('/visit', async (request) => {
    request.session.visits = (request.session.visits ?? 0) + 1;
    return { visits: request.session.visits };
  });
  const first = await app.inject({ url: '/visit' });
  const cookie = first.headers['set-cookie'];
  const second = await app.inject({ url: '/visit', headers: { cookie: String(cookie).split(';')[0] } });
  await app.close();
  await store.close();
  console.log(JSON.stringify({ hasExpressSession, first: first.json(), second: second.json() }));
})();
`,
  );
  const run = await runNodeScript(`await import(${JSON.stringify(join(app, 'app.cjs'))});`, {
    cwd: app,
    node,
    env: { MEMCACHE_SERVERS: memcached.address },
    limitMs: 20_000,
  });
  expect(run.stderr).toBe('');
  expect(run.code, run.stdout).toBe(0);
  expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({
    hasExpressSession: false,
    first: { visits: 1 },
    second: { visits: 2 },
  });
}, 30_000);
