import 'reflect-metadata';
import { type Client, ErrorCodes } from '@memwire/core';
import { CACHE_MANAGER, CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Header,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  UseInterceptors,
} from '@nestjs/common';
import commonPackage from '@nestjs/common/package.json' with { type: 'json' };
import corePackage from '@nestjs/core/package.json' with { type: 'json' };
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  CacheResponse,
  getMemwireResponseCacheToken,
  getMemwireToken,
  InjectMemwire,
  MemwireHealthIndicator,
  MemwireModule,
  type MemwireResponseCache,
} from '../../src/index.js';
import { memwireStore } from '../../src/recipes.js';
import { startApp, uniquePrefix } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

const runs = new Map<string, number>();
function run(name: string): number {
  const count = (runs.get(name) ?? 0) + 1;
  runs.set(name, count);
  return count;
}

test('this suite runs on Nest 10', () => {
  expect([commonPackage.version, corePackage.version]).toEqual([
    expect.stringMatching(/^10\./),
    expect.stringMatching(/^10\./),
  ]);
});

@Injectable()
class Greetings {
  constructor(@InjectMemwire() readonly memcached: Client) {}
}

@Controller()
class PagesController {
  constructor(private readonly greetings: Greetings) {}

  @Get('greeting')
  async greeting() {
    await this.greetings.memcached.set(`${uniquePrefix()}greeting`, 'hello');
    return { ok: true };
  }

  @Get('page')
  @CacheResponse()
  page() {
    return { run: run('page') };
  }

  @Get('private')
  @CacheResponse()
  @Header('Cache-Control', 'private')
  private() {
    return { run: run('private') };
  }

  @Get('items/:id')
  @CacheResponse()
  item(@Param('id') id: string) {
    return { id, run: run(`item ${id}`) };
  }

  @Post('items/:id')
  @CacheResponse()
  update() {
    return { updated: true };
  }
}

describe('MemwireModule on Nest 10', () => {
  test('forRootAsync and injection by token and by type; app.close() closes the client', async () => {
    const running = await startApp({
      imports: [
        MemwireModule.forRootAsync({ useFactory: async () => ({ servers: memcached.address, env: false }) }),
      ],
      controllers: [PagesController],
      providers: [Greetings],
    });
    expect((await running.request('/greeting')).status).toBe(200);
    const client = running.app.get<Client>(getMemwireToken());
    await running.close();
    await expect(client.get('x')).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
  });

  test('@CacheResponse on Express 4: stored whole, private never, 304 from the cache, a POST invalidates', async () => {
    runs.clear();
    const { app, request } = await startApp({
      imports: [
        MemwireModule.forRoot({
          servers: memcached.address,
          env: false,
          responseCache: { keyPrefix: uniquePrefix() },
        }),
      ],
      controllers: [PagesController],
      providers: [Greetings],
    });
    const pages = app.get<MemwireResponseCache>(getMemwireResponseCacheToken());
    const first = await request('/page');
    await pages.settled();
    const hit = await request('/page');
    expect([first.headers['x-cache'], hit.headers['x-cache'], hit.text]).toEqual(['MISS', 'HIT', first.text]);
    expect(hit.headers['x-powered-by']).toBe('Express');
    const revalidated = await request('/page', {
      headers: { 'If-None-Match': String(first.headers['etag']) },
    });
    expect([revalidated.status, revalidated.headers['x-cache']]).toEqual([304, 'HIT']);

    await request('/private');
    await pages.settled();
    expect((await request('/private')).headers['x-cache']).toBe('MISS');

    await request('/items/1');
    await pages.settled();
    expect((await request('/items/1')).headers['x-cache']).toBe('HIT');
    expect((await request('/items/1', { method: 'POST' })).status).toBe(201);
    expect(JSON.parse((await request('/items/1')).text)).toEqual({ id: '1', run: 2 });
  });
});

let productRuns = 0;

@Controller('products')
@UseInterceptors(CacheInterceptor)
class ProductsController {
  @Get(':id')
  find(@Param('id') id: string) {
    productRuns++;
    return { id, run: productRuns };
  }
}

describe('@nestjs/cache-manager 2 with cache-manager 5 on the legacy memwireStore', () => {
  /** The README's recipe: the store shares the module's client, which MemwireModule closes. */
  function recipe(namespace: string) {
    return {
      imports: [
        MemwireModule.forRoot({ servers: memcached.address, env: false, isGlobal: true }),
        CacheModule.registerAsync({
          isGlobal: true,
          inject: [getMemwireToken()],
          useFactory: (client: Client) => ({ store: memwireStore({ client, namespace }), ttl: 60_000 }),
        }),
      ],
      controllers: [ProductsController],
    };
  }

  test("Nest's CacheInterceptor caches in memcached: another application instance gets the stored value", async () => {
    productRuns = 0;
    const namespace = uniquePrefix().replace(/:$/, '');
    const first = await startApp(recipe(namespace));
    await first.request('/products/1');
    expect(JSON.parse((await first.request('/products/1')).text)).toEqual({ id: '1', run: 1 });
    const second = await startApp(recipe(namespace));
    expect(JSON.parse((await second.request('/products/1')).text)).toEqual({ id: '1', run: 1 });
    expect(productRuns).toBe(1);
    const cache = second.app.get<{ get(key: string): Promise<unknown> }>(CACHE_MANAGER);
    expect(await cache.get('/products/1')).toEqual({ id: '1', run: 1 });
  });

  test('CacheModule.register({ store: memwireStore, … }): the factory form, with a client of its own', async () => {
    productRuns = 0;
    const { app, request } = await startApp({
      imports: [
        CacheModule.register({
          store: memwireStore,
          servers: memcached.address,
          env: false,
          namespace: uniquePrefix().replace(/:$/, ''),
          ttl: 60_000,
        }),
      ],
      controllers: [ProductsController],
    });
    await request('/products/2');
    await request('/products/2');
    expect(productRuns).toBe(1);
    // @nestjs/cache-manager 2 never closes its store: the application does.
    await app.get<{ store: { disconnect(): Promise<void> } }>(CACHE_MANAGER).store.disconnect();
  });
});

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(MemwireHealthIndicator) private readonly memcached: MemwireHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.memcached.pingCheck('memcached')]);
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController], providers: [MemwireHealthIndicator] })
class HealthModule {}

test('MemwireHealthIndicator on @nestjs/terminus 11 (Nest 10)', async () => {
  const { request } = await startApp({
    imports: [MemwireModule.forRoot({ servers: memcached.address, env: false }), HealthModule],
  });
  const reply = await request('/health');
  expect(reply.status).toBe(200);
  expect(JSON.parse(reply.text).details.memcached.servers[memcached.address].status).toBe('up');
});
