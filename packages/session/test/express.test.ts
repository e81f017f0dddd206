import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Running, serve, uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import type { MemwireSessionStore, MemwireSessionStoreOptions } from '../src/index.js';
import { harness, rawSet, remainingTtl, sessionKey, sleep } from './helpers.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
    views?: number;
  }
}

const h = harness();
let server: MemcachedServer;
const running = new Set<Running>();

beforeAll(async () => {
  server = await h.server();
});
afterAll(async () => {
  await Promise.all([...running].map((app) => app.close()));
  await h.cleanup();
});

interface AppOptions {
  store?: MemwireSessionStoreOptions;
  session?: Partial<session.SessionOptions>;
}

/** An Express 5 app with express-session on a MemwireSessionStore: log in, see who you are, log out. */
async function app(options: AppOptions = {}): Promise<{ http: Running; store: MemwireSessionStore }> {
  const store = h.store(server.address, { keyPrefix: uniquePrefix(), ...options.store });
  const app = express();
  app.use(
    session({
      store,
      secret: 'a secret long enough for a test',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
      ...options.session,
    }),
  );
  app.get('/login', (req, res, next) => {
    // regenerate lives on express-session's Store.prototype: the store must inherit it.
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = String(req.query.user);
      res.json({ sid: req.sessionID });
    });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null, sid: req.sessionID });
  });
  app.get('/count', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  app.get('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(503).json({ error: (error as { code?: string }).code ?? error.name });
  });
  const http = await serve(app);
  running.add(http);
  return { http, store };
}

/** The `name=value` of the session cookie a response set, if any. */
function cookieOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const setCookie = headers['set-cookie'];
  const line = (Array.isArray(setCookie) ? setCookie : []).find((value) => value.startsWith('connect.sid='));
  return line?.split(';')[0];
}

async function login(http: Running, user = 'ada'): Promise<{ cookie: string; sid: string }> {
  const reply = await http.request(`/login?user=${user}`);
  expect(reply.status).toBe(200);
  const cookie = cookieOf(reply.headers);
  expect(cookie).toBeDefined();
  return { cookie: cookie!, sid: (JSON.parse(reply.text) as { sid: string }).sid };
}

async function me(
  http: Running,
  cookie: string,
): Promise<{ status: number; user: string | null; cookie: string | undefined }> {
  const reply = await http.request('/me', { headers: { cookie } });
  const body = reply.status === 200 ? (JSON.parse(reply.text) as { user: string | null }) : { user: null };
  return { status: reply.status, user: body.user, cookie: cookieOf(reply.headers) };
}

describe('express-session on Express 5', () => {
  test('a login is seen by the next request that brings the cookie', async () => {
    const { http } = await app();
    const { cookie } = await login(http);
    expect(await me(http, cookie)).toMatchObject({ status: 200, user: 'ada' });
  });

  test('a request without the cookie, or with another, sees nobody', async () => {
    const { http } = await app();
    await login(http, 'ada');
    const bob = await login(http, 'bob');
    expect((await me(http, '')).user).toBeNull();
    expect((await me(http, bob.cookie)).user).toBe('bob');
  });

  test('changes to the session are saved', async () => {
    const { http } = await app();
    const { cookie } = await login(http);
    await http.request('/count', { headers: { cookie } });
    const reply = await http.request('/count', { headers: { cookie } });
    expect(JSON.parse(reply.text)).toEqual({ views: 2 });
  });

  test('destroy logs out: the old cookie sees nobody and the item is gone', async () => {
    const { http, store } = await app();
    const { cookie, sid } = await login(http);
    const key = await sessionKey(store.client, store.keyPrefix, sid);
    expect((await http.request('/logout', { headers: { cookie } })).status).toBe(200);
    expect((await me(http, cookie)).user).toBeNull();
    expect(await store.client.get(key)).toBeUndefined();
  });

  test('the store gives the session the cookie maxAge as its TTL', async () => {
    const { http, store } = await app();
    const { sid } = await login(http);
    const ttl = await remainingTtl(server.address, await sessionKey(store.client, store.keyPrefix, sid));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  test('a request with an unchanged session touches it: the TTL moves on, the value is not rewritten', async () => {
    const { http, store } = await app();
    const { cookie, sid } = await login(http);
    const key = await sessionKey(store.client, store.keyPrefix, sid);
    await store.client.touch(key, 30);
    const sets: string[] = [];
    const set = store.set.bind(store);
    store.set = ((...args: Parameters<typeof set>) => {
      sets.push(args[0]);
      return set(...args);
    }) as typeof store.set;
    expect((await me(http, cookie)).user).toBe('ada');
    expect(await remainingTtl(server.address, key)).toBeGreaterThan(3500);
    expect(sets).toEqual([]);
  });

  test('disableTouch: an unchanged session keeps the TTL of its last write', async () => {
    const { http, store } = await app({ store: { disableTouch: true } });
    const { cookie, sid } = await login(http);
    const key = await sessionKey(store.client, store.keyPrefix, sid);
    await store.client.touch(key, 30);
    expect((await me(http, cookie)).user).toBe('ada');
    expect(await remainingTtl(server.address, key)).toBeLessThanOrEqual(30);
  });

  test('rolling: every response sets the cookie again and the TTL moves on with it', async () => {
    const { http, store } = await app({ session: { rolling: true } });
    const { cookie, sid } = await login(http);
    const key = await sessionKey(store.client, store.keyPrefix, sid);
    await store.client.touch(key, 30);
    const seen = await me(http, cookie);
    expect(seen.user).toBe('ada');
    expect(seen.cookie).toBe(cookie);
    expect(await remainingTtl(server.address, key)).toBeGreaterThan(3500);
  });

  test('without rolling an unchanged session sets no cookie', async () => {
    const { http } = await app();
    const { cookie } = await login(http);
    expect((await me(http, cookie)).cookie).toBeUndefined();
  });

  test('a session past its maxAge is gone: memcached expired it', async () => {
    const { http } = await app({ session: { cookie: { maxAge: 1000 } } });
    const { cookie } = await login(http);
    expect((await me(http, cookie)).user).toBe('ada');
    // memcached counts in whole seconds: a 1 s item is gone 2 s later at the latest.
    await sleep(2100);
    expect((await me(http, cookie)).user).toBeNull();
  });

  test('clear() logs everyone out', async () => {
    const { http, store } = await app();
    const ada = await login(http, 'ada');
    const bob = await login(http, 'bob');
    await store.clear();
    expect((await me(http, ada.cookie)).user).toBeNull();
    expect((await me(http, bob.cookie)).user).toBeNull();
  });

  test('garbage written under a session key by another tenant is a new session, not a crash', async () => {
    const { http, store } = await app();
    const { cookie, sid } = await login(http);
    const key = await sessionKey(store.client, store.keyPrefix, sid);
    await rawSet(server.address, key, Buffer.from([0x7b, 0x22, 0x63, 0xff, 0x00]));
    expect(await me(http, cookie)).toMatchObject({ status: 200, user: null });
    await rawSet(server.address, key, Buffer.from('{"cookie":null,"user":"admin"}'), 2);
    expect(await me(http, cookie)).toMatchObject({ status: 200, user: null });
  });
});
