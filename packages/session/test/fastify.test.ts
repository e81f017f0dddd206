import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import type { MemwireSessionStore } from '../src/index.js';
import { harness, rawSet, remainingTtl, sessionKey } from './helpers.js';

declare module 'fastify' {
  interface Session {
    user?: string;
  }
}

const h = harness();
let server: MemcachedServer;
const apps = new Set<FastifyInstance>();

beforeAll(async () => {
  server = await h.server();
});
afterAll(async () => {
  await Promise.all([...apps].map((app) => app.close()));
  await h.cleanup();
});

/** A Fastify 5 app with @fastify/session on a MemwireSessionStore. */
async function app(): Promise<{ fastify: FastifyInstance; store: MemwireSessionStore }> {
  const store = h.store(server.address, { keyPrefix: uniquePrefix() });
  const fastify = Fastify();
  apps.add(fastify);
  await fastify.register(fastifyCookie);
  await fastify.register(fastifySession, {
    store,
    secret: 'a secret with at least 32 characters in it',
    cookie: { secure: false, maxAge: 3_600_000 },
    saveUninitialized: false,
  });
  fastify.get<{ Querystring: { user: string } }>('/login', async (request) => {
    await request.session.regenerate();
    request.session.set('user', request.query.user);
    return { sid: request.session.sessionId };
  });
  fastify.get('/me', async (request) => ({ user: request.session.get('user') ?? null }));
  fastify.get('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  await fastify.ready();
  return { fastify, store };
}

function cookieOf(setCookie: string | string[] | undefined): string | undefined {
  const lines = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  return lines.find((line) => line.startsWith('sessionId='))?.split(';')[0];
}

async function login(fastify: FastifyInstance, user = 'ada'): Promise<{ cookie: string; sid: string }> {
  const reply = await fastify.inject({ url: `/login?user=${user}` });
  expect(reply.statusCode).toBe(200);
  const cookie = cookieOf(reply.headers['set-cookie']);
  expect(cookie).toBeDefined();
  return { cookie: cookie!, sid: reply.json<{ sid: string }>().sid };
}

async function whoIs(fastify: FastifyInstance, cookie: string): Promise<string | null> {
  const reply = await fastify.inject({ url: '/me', headers: { cookie } });
  expect(reply.statusCode).toBe(200);
  return reply.json<{ user: string | null }>().user;
}

describe('@fastify/session on Fastify 5', () => {
  test('a login is seen by the next request that brings the cookie', async () => {
    const { fastify } = await app();
    const ada = await login(fastify, 'ada');
    const bob = await login(fastify, 'bob');
    expect(await whoIs(fastify, ada.cookie)).toBe('ada');
    expect(await whoIs(fastify, bob.cookie)).toBe('bob');
  });

  test('the session lives as long as its cookie', async () => {
    const { fastify, store } = await app();
    const { sid } = await login(fastify);
    const ttl = await remainingTtl(server.address, await sessionKey(store.client, store.keyPrefix, sid));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  test('destroy logs out', async () => {
    const { fastify, store } = await app();
    const { cookie, sid } = await login(fastify);
    const key = await sessionKey(store.client, store.keyPrefix, sid);
    expect((await fastify.inject({ url: '/logout', headers: { cookie } })).statusCode).toBe(200);
    expect(await whoIs(fastify, cookie)).toBeNull();
    expect(await store.client.get(key)).toBeUndefined();
  });

  test('clear() logs everyone out', async () => {
    const { fastify, store } = await app();
    const { cookie } = await login(fastify);
    await store.clear();
    expect(await whoIs(fastify, cookie)).toBeNull();
  });

  test('garbage under the session key is a new session, not a crash', async () => {
    const { fastify, store } = await app();
    const { cookie, sid } = await login(fastify);
    await rawSet(
      server.address,
      await sessionKey(store.client, store.keyPrefix, sid),
      Buffer.from([0xff, 0x7b, 0x00]),
    );
    expect(await whoIs(fastify, cookie)).toBeNull();
  });
});
