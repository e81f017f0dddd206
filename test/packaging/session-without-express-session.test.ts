import { expect, test } from 'vitest';
import { usePackedApp } from '../support/packed-app.js';

// A Fastify app's sessions need no express-session: @memwire/session extends express-session's Store
// only when the app has it (src/base.ts). This app, made from the packed tarballs, has Fastify,
// @fastify/cookie and @fastify/session and no express-session at all.

const packed = usePackedApp({
  name: 'fastify-sessions',
  packages: ['core', 'session'],
  others: ['fastify', '@fastify/cookie', '@fastify/session'],
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
