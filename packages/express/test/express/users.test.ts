import type { Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

const alice = { headers: { cookie: 'sid=alice' } };
const bob = { headers: { cookie: 'sid=bob' } };
const aliceToken = { headers: { authorization: 'Bearer alice' } };
const bobToken = { headers: { authorization: 'Bearer bob' } };

/** Whose page this is, from the session cookie or the bearer token. */
function who(req: Request): string {
  return (
    /sid=(\w+)/.exec(req.get('cookie') ?? '')?.[1] ??
    /Bearer (\w+)/.exec(req.get('authorization') ?? '')?.[1] ??
    'anonymous'
  );
}

describe.each(frameworks)('$name: two users never see each other’s responses', (framework) => {
  async function page(respond: (req: Request, res: Response) => void) {
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/me', cache, respond);
    });
    onTestFinished(() => h.close());
    return h;
  }

  test('a private page, by cookie', async () => {
    const h = await page((req, res) =>
      res.set('Cache-Control', 'private, max-age=60').send(`hello ${who(req)}`),
    );
    expect((await h.request('/me', alice)).text).toBe('hello alice');
    expect((await h.after('/me', bob)).text).toBe('hello bob');
    expect((await h.after('/me', alice)).text).toBe('hello alice');
    expect((await h.after('/me')).text).toBe('hello anonymous');
  });

  test('a page that says nothing about caching, by cookie and by Authorization', async () => {
    const h = await page((req, res) => res.send(`hello ${who(req)}`));
    for (const [user, name] of [
      [alice, 'alice'],
      [bob, 'bob'],
      [aliceToken, 'alice'],
      [bobToken, 'bob'],
    ] as const) {
      const reply = await h.after('/me', user);
      expect([reply.text, reply.headers['x-cache']]).toEqual([`hello ${name}`, 'MISS']);
    }
  });

  test('an anonymous page stored without freshness is not served to a logged-in user', async () => {
    const h = await page((req, res) => res.send(`hello ${who(req)}`));
    await h.request('/me');
    expect((await h.after('/me')).headers['x-cache']).toBe('HIT');
    expect((await h.after('/me', alice)).text).toBe('hello alice');
    expect((await h.after('/me', bobToken)).text).toBe('hello bob');
  });

  test('a public page that varies on Cookie: each user gets their own variant', async () => {
    const h = await page((req, res) =>
      res.set({ 'Cache-Control': 'public, max-age=60', Vary: 'Cookie' }).send(`hello ${who(req)}`),
    );
    await h.request('/me', alice);
    await h.after('/me', bob);
    const a = await h.after('/me', alice);
    const b = await h.after('/me', bob);
    expect([a.text, a.headers['x-cache']]).toEqual(['hello alice', 'HIT']);
    expect([b.text, b.headers['x-cache']]).toEqual(['hello bob', 'HIT']);
  });

  test('Authorization without public, s-maxage or must-revalidate is never shared', async () => {
    const h = await page((req, res) => res.set('Cache-Control', 'max-age=60').send(`hello ${who(req)}`));
    expect((await h.request('/me', aliceToken)).text).toBe('hello alice');
    expect((await h.after('/me', bobToken)).text).toBe('hello bob');
  });

  test('Authorization with s-maxage and Vary: Authorization: each token its own variant', async () => {
    const h = await page((req, res) =>
      res.set({ 'Cache-Control': 's-maxage=60', Vary: 'Authorization' }).send(`hello ${who(req)}`),
    );
    await h.request('/me', aliceToken);
    await h.after('/me', bobToken);
    expect((await h.after('/me', aliceToken)).text).toBe('hello alice');
    expect((await h.after('/me', bobToken)).text).toBe('hello bob');
  });

  test('a login response with Set-Cookie is never replayed to someone else', async () => {
    let logins = 0;
    const h = await page((_req, res) => {
      logins++;
      res.set('Cache-Control', 'public, max-age=60').cookie('sid', `user${logins}`).send('welcome');
    });
    const first = await h.request('/me');
    const second = await h.after('/me');
    expect(first.headers['set-cookie']?.[0]).toMatch(/^sid=user1;/);
    expect(second.headers['set-cookie']?.[0]).toMatch(/^sid=user2;/);
  });

  test('concurrent requests for a private page are not answered with one another’s response', async () => {
    const h = await page((req, res) => {
      setTimeout(() => res.set('Cache-Control', 'private').send(`hello ${who(req)}`), 30);
    });
    const users = Array.from({ length: 10 }, (_, i) => `user${i}`);
    const replies = await Promise.all(
      users.map((user) => h.request('/me', { headers: { cookie: `sid=${user}` } })),
    );
    expect(replies.map((reply) => reply.text)).toEqual(users.map((user) => `hello ${user}`));
  });

  test('a session middleware in front that sets a cookie at the last moment keeps the page out', async () => {
    let visits = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      // Like express-session: the cookie is set when the head goes out, after the route has finished.
      app.use((_req, res, next) => {
        const writeHead = res.writeHead;
        res.writeHead = function (this: Response, ...args: unknown[]) {
          this.setHeader('Set-Cookie', `sid=s${++visits}`);
          return (writeHead as (...a: unknown[]) => Response).apply(this, args);
        } as Response['writeHead'];
        next();
      });
      app.get('/me', cache, (_req, res) =>
        res.set('Cache-Control', 'public, max-age=60').send(`visit ${visits}`),
      );
    });
    onTestFinished(() => h.close());
    await h.request('/me');
    const second = await h.after('/me');
    expect(second.headers['x-cache']).toBe('MISS');
    expect(second.headers['set-cookie']).toEqual(['sid=s2']);
  });
});
