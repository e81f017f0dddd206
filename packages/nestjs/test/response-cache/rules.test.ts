import 'reflect-metadata';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  type INestApplication,
  NotFoundException,
  Param,
  Post,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  CacheResponse,
  getMemwireResponseCacheToken,
  type HttpCacheOptions,
  InjectResponseCache,
  MemwireModule,
  type MemwireResponseCache,
} from '../../src/index.js';
import { delay, type Reply, type RunningApp, startApp, uniquePrefix } from '../helpers.js';

type Platform = 'express' | 'fastify';

/** What Express's `res` and Fastify's `reply` both offer. */
interface PlatformResponse {
  header(name: string, value: string): unknown;
  status(code: number): unknown;
  send(body: string): unknown;
}

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

/** How many times each handler ran. */
const runs = new Map<string, number>();
function run(name: string): number {
  const count = (runs.get(name) ?? 0) + 1;
  runs.set(name, count);
  return count;
}
beforeEach(() => runs.clear());

@Controller()
class PagesController {
  constructor(@InjectResponseCache() readonly pages: MemwireResponseCache) {}

  @Get('plain')
  @CacheResponse()
  plain() {
    return { run: run('plain') };
  }

  @Get('gone')
  @CacheResponse()
  gone(@Res({ passthrough: true }) res: PlatformResponse) {
    res.status(410);
    res.header('X-Reason', 'withdrawn');
    return { run: run('gone') };
  }

  @Get('missing')
  @CacheResponse()
  missing() {
    run('missing');
    throw new NotFoundException('no such page');
  }

  @Get('lang')
  @CacheResponse()
  lang(@Res({ passthrough: true }) res: PlatformResponse, @Param() _params: unknown) {
    res.header('Vary', 'Accept-Language');
    return { run: run('lang') };
  }

  @Get('private')
  @CacheResponse()
  @Header('Cache-Control', 'private, max-age=60')
  private() {
    return { run: run('private') };
  }

  @Get('cookie')
  @CacheResponse()
  cookie(@Res({ passthrough: true }) res: PlatformResponse) {
    const count = run('cookie');
    res.header('Set-Cookie', `session=user-${count}; HttpOnly`);
    return { run: count };
  }

  @Get('account')
  @CacheResponse()
  account() {
    return { run: run('account') };
  }

  @Get('public-account')
  @CacheResponse()
  @Header('Cache-Control', 'public, max-age=60')
  publicAccount() {
    return { run: run('public-account') };
  }

  @Get('etag')
  @CacheResponse()
  etag(@Res({ passthrough: true }) res: PlatformResponse) {
    res.header('ETag', '"v1"');
    return { run: run('etag') };
  }

  @Get('swr')
  @CacheResponse()
  async swr(@Res({ passthrough: true }) res: PlatformResponse) {
    const count = run('swr');
    if (count > 1) await delay(300);
    res.header('Cache-Control', 'max-age=1, stale-while-revalidate=30');
    return { run: count };
  }

  @Get('no-ttl')
  @CacheResponse({ ttl: 0 })
  noTtl() {
    return { run: run('no-ttl') };
  }

  @Get('tagged')
  @CacheResponse({ tags: ['products'] })
  tagged() {
    return { run: run('tagged') };
  }

  @Get('header-tagged')
  @CacheResponse()
  headerTagged(@Res({ passthrough: true }) res: PlatformResponse) {
    res.header('X-Cache-Tags', 'offers, products');
    return { run: run('header-tagged') };
  }

  @Get('keyed')
  @CacheResponse({ key: (req) => (req.url ?? '/').split('?')[0]! })
  keyed() {
    return { run: run('keyed') };
  }

  @Get('items/:id')
  @CacheResponse()
  item(@Param('id') id: string) {
    return { id, run: run(`item ${id}`) };
  }

  @Post('items/:id')
  @CacheResponse()
  @HttpCode(204)
  updateItem() {
    run('update');
  }

  @Get('raw')
  @CacheResponse()
  raw(@Res() res: PlatformResponse) {
    res.header('Content-Type', 'text/plain; charset=utf-8');
    res.send(`raw ${run('raw')}`);
  }

  @Get('file')
  @CacheResponse()
  file() {
    run('file');
    return new StreamableFile(Buffer.from([0, 13, 10, 255, 0]), { type: 'application/octet-stream' });
  }

  @Get('targeted')
  @CacheResponse()
  @Header('Cache-Control', 'no-store')
  @Header('Memwire-Cache-Control', 'max-age=60')
  targeted() {
    return { run: run('targeted') };
  }

  @Get('uncached')
  uncached() {
    return { run: run('uncached') };
  }
}

async function pagesApp(
  platform: Platform,
  options: HttpCacheOptions = {},
  configure?: (app: INestApplication) => void,
): Promise<RunningApp & { pages: MemwireResponseCache }> {
  const running = await startApp(
    {
      imports: [
        MemwireModule.forRoot({
          servers: memcached.address,
          env: false,
          responseCache: { keyPrefix: uniquePrefix(), ...options },
        }),
      ],
      controllers: [PagesController],
    },
    { adapter: platform === 'fastify' ? new FastifyAdapter() : undefined, configure },
  );
  return { ...running, pages: running.app.get<MemwireResponseCache>(getMemwireResponseCacheToken()) };
}

function json(reply: Reply): unknown {
  return JSON.parse(reply.text);
}

describe.each(['express', 'fastify'] as const)('@CacheResponse on %s', (platform) => {
  let h: RunningApp & { pages: MemwireResponseCache };
  /** Waits until the cache has stored what it was given, then requests. */
  let after: RunningApp['request'];
  beforeEach(async () => {
    h = await pagesApp(platform);
    after = async (path, options) => {
      await h.pages.settled();
      return h.request(path, options);
    };
  });

  test('a response is stored whole: the second request is a HIT with the same status, headers and body', async () => {
    const first = await h.request('/plain');
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await after('/plain');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.status).toBe(200);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(json(second)).toEqual({ run: 1 });
    expect(second.headers['age']).toBeDefined();
    expect(runs.get('plain')).toBe(1);
  });

  test('the status and headers the handler set are replayed', async () => {
    await h.request('/gone');
    const hit = await after('/gone');
    expect([hit.headers['x-cache'], hit.status, hit.headers['x-reason']]).toEqual(['HIT', 410, 'withdrawn']);
    expect(json(hit)).toEqual({ run: 1 });
  });

  test("an exception's response is cached by the same rules (a 404 is cacheable)", async () => {
    const miss = await h.request('/missing');
    const hit = await after('/missing');
    expect([miss.status, hit.status, hit.headers['x-cache']]).toEqual([404, 404, 'HIT']);
    expect(hit.text).toBe(miss.text);
    expect(runs.get('missing')).toBe(1);
  });

  test('Vary: one stored variant per value of the varied header', async () => {
    const en = { 'Accept-Language': 'en' };
    const fr = { 'Accept-Language': 'fr' };
    await h.request('/lang', { headers: en });
    const frMiss = await after('/lang', { headers: fr });
    const enHit = await after('/lang', { headers: en });
    const frHit = await after('/lang', { headers: fr });
    expect([frMiss.headers['x-cache'], enHit.headers['x-cache'], frHit.headers['x-cache']]).toEqual([
      'MISS',
      'HIT',
      'HIT',
    ]);
    expect([json(enHit), json(frHit)]).toEqual([{ run: 1 }, { run: 2 }]);
  });

  test('Cache-Control: private (here from @Header()) is never stored', async () => {
    await h.request('/private');
    const second = await after('/private');
    expect(second.headers['x-cache']).toBe('MISS');
    expect(second.headers['cache-control']).toBe('private, max-age=60');
    expect(runs.get('private')).toBe(2);
  });

  test('a response setting a cookie is never stored, so no one gets another user’s cookie', async () => {
    const first = await h.request('/cookie');
    const second = await after('/cookie');
    expect(first.headers['set-cookie']).toEqual(['session=user-1; HttpOnly']);
    expect(second.headers['set-cookie']).toEqual(['session=user-2; HttpOnly']);
    expect(second.headers['x-cache']).toBe('MISS');
  });

  test('a request with Authorization is shared only when the response says public', async () => {
    await h.request('/account', { headers: { Authorization: 'Bearer alice' } });
    const bob = await after('/account', { headers: { Authorization: 'Bearer bob' } });
    expect([bob.headers['x-cache'], json(bob)]).toEqual(['MISS', { run: 2 }]);

    await h.request('/public-account', { headers: { Authorization: 'Bearer alice' } });
    const shared = await after('/public-account', { headers: { Authorization: 'Bearer bob' } });
    expect([shared.headers['x-cache'], json(shared)]).toEqual(['HIT', { run: 1 }]);
  });

  test('If-None-Match gets a 304 from the cache', async () => {
    const first = await h.request('/etag');
    expect(first.headers['etag']).toBe('"v1"');
    const revalidated = await after('/etag', { headers: { 'If-None-Match': '"v1"' } });
    expect([revalidated.status, revalidated.headers['x-cache'], revalidated.text]).toEqual([304, 'HIT', '']);
    expect(runs.get('etag')).toBe(1);
  });

  test('HEAD is answered from the stored GET response, without a body', async () => {
    const get = await h.request('/plain');
    const head = await after('/plain', { method: 'HEAD' });
    expect([head.status, head.headers['x-cache'], head.text]).toEqual([200, 'HIT', '']);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  test('stale-while-revalidate: every request gets the stale response at once, one refresh runs in the background', async () => {
    await h.request('/swr');
    await h.pages.settled();
    await delay(1100);
    const replies = await Promise.all(Array.from({ length: 4 }, () => h.request('/swr')));
    const seen = replies.map(
      (reply) => `${reply.headers['x-cache']} ${(json(reply) as { run: number }).run}`,
    );
    expect(seen).toEqual(['STALE 1', 'STALE 1', 'STALE 1', 'STALE 1']);
    await h.pages.settled();
    expect(runs.get('swr')).toBe(2);
    const hit = await after('/swr');
    expect([hit.headers['x-cache'], json(hit)]).toEqual(['HIT', { run: 2 }]);
  });

  test('a route ttl of 0 stores only responses that state their own freshness', async () => {
    await h.request('/no-ttl');
    const second = await after('/no-ttl');
    expect([second.headers['x-cache'], runs.get('no-ttl')]).toEqual(['MISS', 2]);
  });

  test('tags from the decorator and from X-Cache-Tags invalidate, and the tag header is not sent', async () => {
    await h.request('/tagged');
    const tagged = await h.request('/header-tagged');
    expect(tagged.headers['x-cache-tags']).toBeUndefined();
    expect((await after('/tagged')).headers['x-cache']).toBe('HIT');
    expect((await after('/header-tagged')).headers['x-cache']).toBe('HIT');
    await h.pages.invalidateTags('products');
    const [page, headerPage] = await Promise.all([h.request('/tagged'), h.request('/header-tagged')]);
    expect([json(page), json(headerPage)]).toEqual([{ run: 2 }, { run: 2 }]);
  });

  test('the tag header is not sent when the cache passes either', async () => {
    const honouring = await pagesApp(platform, { ignoreRequestDirectives: false });
    const bypass = await honouring.request('/header-tagged', { headers: { 'Cache-Control': 'no-store' } });
    expect([bypass.headers['x-cache'], bypass.headers['x-cache-tags']]).toEqual(['BYPASS', undefined]);
  });

  test('the host the platform sees is part of the key: one tenant never gets another’s page', async () => {
    await h.request('/plain', { headers: { host: 'a.test' } });
    const b = await after('/plain', { headers: { host: 'b.test' } });
    const a = await after('/plain', { headers: { host: 'A.test:80' } });
    expect([b.headers['x-cache'], json(b), a.headers['x-cache'], json(a)]).toEqual([
      'MISS',
      { run: 2 },
      'HIT',
      { run: 1 },
    ]);
    await h.pages.invalidate('/plain');
    expect((await h.request('/plain', { headers: { host: 'b.test' } })).headers['x-cache']).toBe('MISS');
  });

  test('a request directive cannot replace the stored response by default', async () => {
    await h.request('/plain');
    const forced = await after('/plain', { headers: { 'Cache-Control': 'no-cache', Pragma: 'no-cache' } });
    expect([forced.headers['x-cache'], json(forced)]).toEqual(['HIT', { run: 1 }]);
  });

  test('Memwire-Cache-Control decides for the cache and is never sent; Cache-Control goes out as set', async () => {
    const first = await h.request('/targeted');
    const hit = await after('/targeted');
    expect([hit.headers['x-cache'], json(hit), hit.headers['cache-control']]).toEqual([
      'HIT',
      { run: 1 },
      'no-store',
    ]);
    expect([first.headers['memwire-cache-control'], hit.headers['memwire-cache-control']]).toEqual([
      undefined,
      undefined,
    ]);
  });

  test('invalidate(url) drops a stored response', async () => {
    await h.request('/plain');
    await h.pages.settled();
    await h.pages.invalidate('/plain');
    expect(json(await h.request('/plain'))).toEqual({ run: 2 });
  });

  test('key: requests the function maps to one resource share one entry', async () => {
    await h.request('/keyed?utm_source=mail');
    const other = await after('/keyed?utm_source=ads');
    expect([other.headers['x-cache'], json(other)]).toEqual(['HIT', { run: 1 }]);
  });

  test('a successful POST invalidates its URL before the client hears back', async () => {
    await h.request('/items/7');
    expect((await after('/items/7')).headers['x-cache']).toBe('HIT');
    const update = await h.request('/items/7', { method: 'POST' });
    expect([update.status, update.headers['x-cache']]).toEqual([204, 'BYPASS']);
    const fresh = await h.request('/items/7');
    expect([fresh.headers['x-cache'], json(fresh)]).toEqual(['MISS', { id: '7', run: 2 }]);
  });

  test('a handler that answers through @Res() is cached too, and answered from the cache', async () => {
    const first = await h.request('/raw');
    const hit = await after('/raw');
    expect([first.text, hit.text, hit.headers['x-cache']]).toEqual(['raw 1', 'raw 1', 'HIT']);
    expect(hit.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  test('headers set in front of the cache (a request id) are not stored: each response has its own', async () => {
    let requests = 0;
    const app = await pagesApp(platform, {}, (nest) => {
      const stamp = () => String(++requests);
      if (platform === 'express') {
        nest.use((_req: unknown, res: PlatformResponse, next: () => void) => {
          res.header('X-Request-Id', stamp());
          next();
        });
      } else {
        const fastify = (nest as NestFastifyApplication).getHttpAdapter().getInstance();
        fastify.addHook('onRequest', (_request, reply, done) => {
          reply.header('X-Request-Id', stamp());
          done();
        });
      }
    });
    const first = await app.request('/plain');
    await app.pages.settled();
    const hit = await app.request('/plain');
    expect([first.headers['x-request-id'], hit.headers['x-cache'], hit.headers['x-request-id']]).toEqual([
      '1',
      'HIT',
      '2',
    ]);
  });

  test('a StreamableFile is stored byte for byte', async () => {
    const first = await h.request('/file');
    const hit = await after('/file');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect([...hit.body]).toEqual([0, 13, 10, 255, 0]);
    expect(hit.headers['content-type']).toBe(first.headers['content-type']);
    expect(runs.get('file')).toBe(1);
  });

  test('routes without @CacheResponse are untouched', async () => {
    const reply = await h.request('/uncached');
    expect(reply.headers['x-cache']).toBeUndefined();
  });
});
