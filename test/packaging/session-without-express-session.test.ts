import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { REPOSITORY_ROOT, usePackedApp } from '../support/packed-app.js';

// A Fastify app's sessions need no express-session: @memwire/session extends express-session's Store
// only when the app has it (src/base.ts). This app, made from the packed tarballs, has Fastify,
// @fastify/cookie and @fastify/session and no express-session at all.

const packed = usePackedApp({
  name: 'fastify-sessions',
  packages: ['core', 'session'],
  // @types/node and typescript for the type check below; still no express-session nor its types.
  others: ['fastify', '@fastify/cookie', '@fastify/session', '@types/node'],
  manifest: { type: 'commonjs' },
});

test('without express-session installed, the store loads and keeps a Fastify session across requests', async () => {
  const printed = await packed.run(
    'app.cjs',
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
  expect(JSON.parse(printed)).toEqual({
    hasExpressSession: false,
    first: { visits: 1 },
    second: { visits: 2 },
  });
}, 30_000);

test('without express-session or its types, a TypeScript Fastify app type-checks against the store (skipLibCheck off)', async () => {
  const folder = packed.folder();
  writeFileSync(
    join(folder, 'app.ts'),
    `import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { MemwireSessionStore } from '@memwire/session';
const store = new MemwireSessionStore({ keyPrefix: 'typed:' });
const app = Fastify();
app.register(fastifyCookie);
app.register(fastifySession, { secret: 'a secret with minimum length of 32 characters', store });
store.on('disconnect', () => {});
export { app };
`,
  );
  writeFileSync(
    join(folder, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
      },
      files: ['app.ts'],
    }),
  );
  const tsc = join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const checked = await promisify(execFile)(process.execPath, [tsc, '-p', folder], { cwd: folder }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
  expect(checked).toBe('');
}, 60_000);
