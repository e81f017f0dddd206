import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import express from 'express';
import session from 'express-session';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Running, serve, uniquePrefix } from '../../../test/support/http.js';
import { type FaultProxy, type MemcachedServer, startFaultProxy } from '../../../test/support/index.js';
import type { MemwireSessionStore, UnavailablePolicy } from '../src/index.js';
import { harness, sessionFor, sleep } from './helpers.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}
declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

const h = harness();
let server: MemcachedServer;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await h.server();
});
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await h.cleanup();
});

async function proxy(): Promise<FaultProxy> {
  const faulty = await startFaultProxy(server.port);
  closers.push(() => faulty.close());
  return faulty;
}

/** An app whose store reaches memcached at `address`, failing fast: commands time out after 300 ms. */
async function app(address: string, onUnavailable?: UnavailablePolicy) {
  // A high failureThreshold keeps the server in the ring, so each test sees its own fault, not a mark-down.
  const store = h.store(address, {
    keyPrefix: uniquePrefix(),
    onUnavailable,
    commandTimeout: 300,
    failureThreshold: 1000,
  });
  const unavailable: unknown[] = [];
  store.on('unavailable', (error) => unavailable.push(error));
  const app = express();
  app.use(
    session({ store, secret: 'a secret long enough for a test', resave: false, saveUninitialized: false }),
  );
  app.get('/login', (req, res) => {
    req.session.user = 'ada';
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null });
  });
  app.get('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(503).json({ error: (error as { code?: string }).code ?? error.name });
  });
  const http: Running = await serve(app);
  closers.push(() => http.close());
  const login = await http.request('/login');
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  return { http, store, cookie, unavailable };
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error('never came true');
}

describe("onUnavailable: 'error' (the default)", () => {
  test('a stalled memcached fails the request with the timeout, and the session works again after', async () => {
    const faulty = await proxy();
    const { http, cookie } = await app(faulty.address);
    faulty.setFault({ kind: 'stall' });
    const reply = await http.request('/me', { headers: { cookie } });
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.text)).toEqual({ error: 'ERR_MEMWIRE_TIMEOUT' });
    faulty.setFault({ kind: 'pass' });
    await eventually(async () => {
      const again = await http.request('/me', { headers: { cookie } });
      return again.status === 200 && JSON.parse(again.text).user === 'ada';
    });
  });

  test('a killed memcached fails the request at once with a connection error', async () => {
    const own = await h.server();
    const { http, cookie } = await app(own.address);
    await own.kill();
    const reply = await http.request('/me', { headers: { cookie } });
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.text)).toEqual({ error: 'ERR_MEMWIRE_CONNECTION' });
  });
});

describe("onUnavailable: 'new-session'", () => {
  test('a stalled memcached gives the request a new empty session, reported as an event', async () => {
    const faulty = await proxy();
    const { http, cookie, unavailable } = await app(faulty.address, 'new-session');
    faulty.setFault({ kind: 'stall' });
    const reply = await http.request('/me', { headers: { cookie } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ user: null });
    expect(unavailable).toEqual([expect.objectContaining({ code: 'ERR_MEMWIRE_TIMEOUT' })]);
    // The real session was never overwritten: once memcached answers, the user is back.
    faulty.setFault({ kind: 'pass' });
    await eventually(async () => {
      const again = await http.request('/me', { headers: { cookie } });
      return JSON.parse(again.text).user === 'ada';
    });
  });

  test('a killed memcached gives a new empty session', async () => {
    const own = await h.server();
    const { http, cookie } = await app(own.address, 'new-session');
    await own.kill();
    const reply = await http.request('/me', { headers: { cookie } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ user: null });
  });

  test('a logout that cannot reach memcached still fails: it must not look done', async () => {
    const faulty = await proxy();
    const { http, cookie } = await app(faulty.address, 'new-session');
    const me = await http.request('/me', { headers: { cookie } });
    expect(JSON.parse(me.text)).toEqual({ user: 'ada' });
    faulty.setFault({ kind: 'stall' });
    // express-session's read is dropped as a miss, so destroy runs on the new session: it fails too.
    const reply = await http.request('/logout', { headers: { cookie } });
    expect(reply.status).toBe(503);
    faulty.setFault({ kind: 'pass' });
  });

  test('destroy rejects whatever the policy', async () => {
    const faulty = await proxy();
    const store: MemwireSessionStore = h.store(faulty.address, {
      keyPrefix: uniquePrefix(),
      onUnavailable: 'new-session',
      commandTimeout: 300,
      failureThreshold: 1000,
    });
    await store.set('s1', sessionFor(60));
    faulty.setFault({ kind: 'stall' });
    await expect(store.destroy('s1')).rejects.toMatchObject({ code: 'ERR_MEMWIRE_TIMEOUT' });
    await expect(store.set('s1', sessionFor(60))).resolves.toBeUndefined();
    await expect(store.touch('s1', sessionFor(60))).resolves.toBeUndefined();
    await expect(store.get('s1')).resolves.toBeUndefined();
    faulty.setFault({ kind: 'pass' });
  });
});

describe('@fastify/session with memcached stalled', () => {
  test("the default passes the timeout to Fastify, which answers 500; 'new-session' answers with a new one", async () => {
    const faulty = await proxy();
    const answers: Record<string, unknown> = {};
    for (const onUnavailable of ['error', 'new-session'] as const) {
      const store = h.store(faulty.address, {
        keyPrefix: uniquePrefix(),
        onUnavailable,
        commandTimeout: 300,
        failureThreshold: 1000,
      });
      const fastify = Fastify();
      closers.push(() => fastify.close());
      await fastify.register(fastifyCookie);
      await fastify.register(fastifySession, {
        store,
        secret: 'a secret with at least 32 characters in it',
        cookie: { secure: false },
      });
      fastify.get('/login', async (request) => {
        request.session.set('user', 'ada');
        return { ok: true };
      });
      fastify.get('/me', async (request) => ({ user: request.session.get('user') ?? null }));
      faulty.setFault({ kind: 'pass' });
      const login = await fastify.inject({ url: '/login' });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      faulty.setFault({ kind: 'stall' });
      const reply = await fastify.inject({ url: '/me', headers: { cookie } });
      answers[onUnavailable] = {
        status: reply.statusCode,
        body: reply.statusCode === 200 ? reply.json() : undefined,
      };
    }
    faulty.setFault({ kind: 'pass' });
    expect(answers).toEqual({
      error: { status: 500, body: undefined },
      'new-session': { status: 200, body: { user: null } },
    });
  });
});
