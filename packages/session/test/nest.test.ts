import 'reflect-metadata';
import { Controller, Get, type INestApplication, Inject, Module, Query, Req, Session } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request } from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestAt, uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemwireSessionStore } from '../src/index.js';
import { harness, remainingTtl, sessionKey } from './helpers.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

const h = harness();
let server: MemcachedServer;

beforeAll(async () => {
  server = await h.server();
});
afterAll(() => h.cleanup());

const SESSION_STORE = Symbol('SESSION_STORE');

@Controller()
class AccountController {
  @Get('login')
  login(@Req() req: Request, @Query('user') user: string) {
    req.session.user = user;
    return { sid: req.sessionID };
  }

  @Get('me')
  me(@Session() current: session.SessionData) {
    return { user: current.user ?? null };
  }

  @Get('logout')
  async logout(@Req() req: Request) {
    await new Promise<void>((resolve, reject) =>
      req.session.destroy((error) => (error ? reject(error) : resolve())),
    );
    return { ok: true };
  }
}

/** The store as a Nest provider, so services can `clear()` it; the app closes it on shutdown. */
function appModule(address: string) {
  @Module({
    controllers: [AccountController],
    providers: [
      {
        provide: SESSION_STORE,
        useFactory: () => new MemwireSessionStore({ env: {}, servers: address, keyPrefix: uniquePrefix() }),
      },
    ],
  })
  class AppModule {
    constructor(@Inject(SESSION_STORE) private readonly store: MemwireSessionStore) {}

    async onApplicationShutdown(): Promise<void> {
      await this.store.close();
    }
  }
  return AppModule;
}

async function start(): Promise<{ app: INestApplication; store: MemwireSessionStore; port: number }> {
  const app = await NestFactory.create(appModule(server.address), { logger: false });
  const store = app.get<MemwireSessionStore>(SESSION_STORE);
  app.use(
    session({
      store,
      secret: 'a secret long enough for a test',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 600_000 },
    }),
  );
  await app.listen(0, '127.0.0.1');
  const port = Number(new URL((await app.getUrl()).replace('[::1]', '127.0.0.1')).port);
  return { app, store, port };
}

describe('a Nest app (Express) using express-session with the store', () => {
  test('logs in, sees the session on the next request, and logs out', async () => {
    const { app, store, port } = await start();
    try {
      const login = await requestAt(port, '/login?user=ada');
      expect(login.status).toBe(200);
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const { sid } = JSON.parse(login.text) as { sid: string };
      const ttl = await remainingTtl(server.address, await sessionKey(store.client, store.keyPrefix, sid));
      expect(ttl).toBeGreaterThan(500);
      expect(ttl).toBeLessThanOrEqual(600);
      expect(JSON.parse((await requestAt(port, '/me', { headers: { cookie } })).text)).toEqual({
        user: 'ada',
      });
      expect((await requestAt(port, '/logout', { headers: { cookie } })).status).toBe(200);
      expect(JSON.parse((await requestAt(port, '/me', { headers: { cookie } })).text)).toEqual({
        user: null,
      });
    } finally {
      await app.close();
    }
  });

  test('closing the app closes the store', async () => {
    const { app, store } = await start();
    await app.close();
    await expect(store.client.get('x')).rejects.toMatchObject({ code: 'ERR_MEMWIRE_CLOSED' });
  });
});
