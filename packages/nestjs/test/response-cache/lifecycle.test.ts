import 'reflect-metadata';
import { Controller, Get, Header } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  CacheResponse,
  CacheResponseInterceptor,
  getMemwireResponseCacheToken,
  MemwireModule,
  type MemwireResponseCache,
} from '../../src/index.js';
import { startApp, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
let other: MemcachedServer;
beforeAll(async () => {
  [memcached, other] = await Promise.all([startMemcached(), startMemcached()]);
});
afterAll(async () => {
  await Promise.all([memcached?.stop(), other?.stop()]);
});

let runs = 0;

@Controller()
class PagesController {
  @Get('page')
  @CacheResponse()
  page() {
    runs++;
    return { run: runs };
  }

  @Get('named')
  @CacheResponse({ client: 'pages' })
  named() {
    runs++;
    return { run: runs };
  }

  @Get('flaky')
  @CacheResponse()
  @Header('Cache-Control', 'max-age=1, stale-if-error=60')
  flaky() {
    runs++;
    if (runs > 1) throw new Error('the database is down');
    return { run: runs };
  }
}

describe('the response cache in the application', () => {
  test('@CacheResponse({ client }) stores with the named client’s response cache', async () => {
    runs = 0;
    const { app, request } = await startApp({
      imports: [
        MemwireModule.forRoot({ servers: memcached.address, env: false }),
        MemwireModule.forRoot({
          name: 'pages',
          servers: other.address,
          env: false,
          responseCache: { keyPrefix: uniquePrefix() },
        }),
      ],
      controllers: [PagesController],
    });
    const pages = app.get<MemwireResponseCache>(getMemwireResponseCacheToken('pages'));
    await request('/named');
    await pages.settled();
    expect((await request('/named')).headers['x-cache']).toBe('HIT');
    // The entry lives on the named client's server: taking that server away turns hits into misses.
    await other.stop();
    try {
      const reply = await request('/named');
      expect([reply.status, reply.headers['x-cache']]).toEqual([200, 'MISS']);
    } finally {
      await other.restart();
    }
  });

  test('memcached being down never fails a request: it goes to the handler', async () => {
    runs = 0;
    const { request } = await startApp({
      imports: [
        MemwireModule.forRoot({
          servers: `127.0.0.1:${await freePort()}`,
          env: false,
          connectTimeout: 200,
          commandTimeout: 200,
        }),
      ],
      controllers: [PagesController],
    });
    const replies = [await request('/page'), await request('/page')];
    expect(replies.map((reply) => reply.status)).toEqual([200, 200]);
    expect(replies.map((reply) => JSON.parse(reply.text))).toEqual([{ run: 1 }, { run: 2 }]);
  });

  test('stale-if-error: a handler that throws is answered with the stale response', async () => {
    runs = 0;
    const { app, request } = await startApp({
      imports: [
        MemwireModule.forRoot({
          servers: memcached.address,
          env: false,
          responseCache: { keyPrefix: uniquePrefix() },
        }),
      ],
      controllers: [PagesController],
    });
    await request('/flaky');
    await app.get<MemwireResponseCache>(getMemwireResponseCacheToken()).settled();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const reply = await request('/flaky');
    expect([reply.status, reply.headers['x-cache'], JSON.parse(reply.text)]).toEqual([
      200,
      'STALE',
      { run: 1 },
    ]);
  });

  test('app.close() writes the stores in progress before it closes the client', async () => {
    runs = 0;
    const keyPrefix = uniquePrefix();
    const metadata = {
      imports: [
        MemwireModule.forRoot({ servers: memcached.address, env: false, responseCache: { keyPrefix } }),
      ],
      controllers: [PagesController],
    };
    // One public host for both (the host is part of the key; each app listens on its own port).
    const host = { headers: { host: 'shop.test' } };
    const first = await startApp(metadata);
    await first.request('/page', host);
    await first.close(); // no settled(): the store may still be in flight
    const second = await startApp(metadata);
    const reply = await second.request('/page', host);
    expect([reply.headers['x-cache'], JSON.parse(reply.text)]).toEqual(['HIT', { run: 1 }]);
  });

  test('on a controller and a handler, or global as well, the cache runs once per request', async () => {
    runs = 0;
    @Controller()
    @CacheResponse({ ttl: 0 })
    class TwiceController {
      @Get('twice')
      @CacheResponse({ tags: ['twice'] })
      twice() {
        runs++;
        return { run: runs };
      }
    }
    const { app, request } = await startApp({
      imports: [
        MemwireModule.forRoot({
          servers: memcached.address,
          env: false,
          responseCache: { keyPrefix: uniquePrefix() },
        }),
      ],
      controllers: [TwiceController],
      providers: [{ provide: APP_INTERCEPTOR, useClass: CacheResponseInterceptor }],
    });
    const pages = app.get<MemwireResponseCache>(getMemwireResponseCacheToken());
    const first = await request('/twice');
    await pages.settled();
    const hit = await request('/twice');
    // The handler's options win over the controller's (its ttl of 0 would store nothing).
    expect([first.headers['x-cache'], hit.headers['x-cache'], JSON.parse(hit.text)]).toEqual([
      'MISS',
      'HIT',
      { run: 1 },
    ]);
    await pages.invalidateTags('twice');
    expect((await request('/twice')).headers['x-cache']).toBe('MISS');
  });

  test('without a MemwireModule, a @CacheResponse route fails loudly (a configuration error)', async () => {
    const { request } = await startApp({ controllers: [PagesController] });
    expect((await request('/page')).status).toBe(500);
  });
});
