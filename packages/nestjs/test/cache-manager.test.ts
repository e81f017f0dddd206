import 'reflect-metadata';
import { type Client, ErrorCodes } from '@memwire/core';
import { CACHE_MANAGER, CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { getMemwireToken, MemwireModule } from '../src/index.js';
import { createKeyv, KeyvMemwire } from '../src/recipes.js';
import { startApp, uniquePrefix } from './helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

let runs = 0;

@Controller('products')
@UseInterceptors(CacheInterceptor)
class ProductsController {
  @Get(':id')
  find(@Param('id') id: string) {
    runs++;
    return { id, run: runs };
  }
}

/** The README's recipe: Nest's CacheModule on a memwire Keyv store sharing the module's client. */
function appModule(namespace: string, store: 'createKeyv' | 'KeyvMemwire' = 'createKeyv') {
  return {
    imports: [
      MemwireModule.forRoot({ servers: memcached.address, env: false, isGlobal: true }),
      CacheModule.registerAsync({
        isGlobal: true,
        inject: [getMemwireToken()],
        useFactory: (client: Client) => ({
          stores: [
            store === 'createKeyv'
              ? createKeyv({ client, namespace })
              : new KeyvMemwire({ client, namespace }),
          ],
          ttl: 60_000,
        }),
      }),
    ],
    controllers: [ProductsController],
  };
}

describe('@nestjs/cache-manager (current major) on a memwire Keyv store', () => {
  test.each(['createKeyv', 'KeyvMemwire'] as const)(
    "Nest's CacheInterceptor caches in memcached: another application instance gets the stored value (%s)",
    async (store) => {
      runs = 0;
      const namespace = uniquePrefix().replace(/:$/, '');
      const first = await startApp(appModule(namespace, store));
      const replies = [await first.request('/products/1'), await first.request('/products/1')];
      expect(replies.map((reply) => JSON.parse(reply.text))).toEqual([
        { id: '1', run: 1 },
        { id: '1', run: 1 },
      ]);
      // A second instance has an empty memory: only memcached can answer it.
      const second = await startApp(appModule(namespace, store));
      expect(JSON.parse((await second.request('/products/1')).text)).toEqual({ id: '1', run: 1 });
      expect(runs).toBe(1);
      // Nest keys by URL; the value is the handler's return value, read back through cache-manager.
      expect(await second.app.get<Cache>(CACHE_MANAGER).get('/products/1')).toEqual({ id: '1', run: 1 });
    },
  );

  test("on shutdown Nest's store lets go of the shared client and MemwireModule closes it", async () => {
    const running = await startApp(appModule(uniquePrefix().replace(/:$/, '')));
    const client = running.app.get<Client>(getMemwireToken());
    await running.request('/products/2');
    await running.close();
    await expect(client.get('anything')).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
  });
});
