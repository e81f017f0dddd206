import { ErrorCodes, UnsupportedCommandError } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { uniquePrefix } from '../../../test/support/http.js';
import type { MemcachedServer } from '../../../test/support/index.js';
import { MemwireSessionStore, SESSION_STORE_DEFAULTS } from '../src/index.js';
import { harness, rawSet, remainingTtl, sessionFor, sessionKey } from './helpers.js';

const h = harness();
let server: MemcachedServer;

beforeAll(async () => {
  server = await h.server();
});
afterAll(() => h.cleanup());

function store(options: ConstructorParameters<typeof MemwireSessionStore>[0] = {}) {
  return h.store(server.address, { keyPrefix: uniquePrefix(), ...options });
}

describe('get and set', () => {
  test('returns undefined for a session that was never stored', async () => {
    expect(await store().get('nobody')).toBeUndefined();
  });

  test('returns what was stored, its cookie expiry as text (express-session turns it back into a Date)', async () => {
    const sessions = store();
    const session = sessionFor(3600, { user: 'ada', cart: [1, 2] });
    await sessions.set('s1', session);
    expect(await sessions.get('s1')).toEqual({
      ...session,
      cookie: { ...session.cookie, expires: session.cookie.expires?.toISOString() },
    });
  });

  test('answers callbacks as express-session calls them', async () => {
    const sessions = store();
    await new Promise<void>((resolve, reject) =>
      sessions.set('s1', sessionFor(60, { n: 1 }), (error) => (error ? reject(error) : resolve())),
    );
    const read = await new Promise((resolve, reject) =>
      sessions.get('s1', (error, value) => (error ? reject(error) : resolve(value))),
    );
    expect(read).toMatchObject({ n: 1 });
  });

  test('lives until the cookie expires, rounded up to a whole second', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(90.2));
    const key = await sessionKey(sessions.client, sessions.keyPrefix, 's1');
    expect(await remainingTtl(server.address, key)).toBeGreaterThan(85);
    expect(await remainingTtl(server.address, key)).toBeLessThanOrEqual(91);
  });

  test('lives `ttl` seconds when the cookie has no expiry (a browser-session cookie)', async () => {
    const sessions = store({ ttl: 500 });
    await sessions.set('s1', sessionFor(undefined));
    const key = await sessionKey(sessions.client, sessions.keyPrefix, 's1');
    expect(await remainingTtl(server.address, key)).toBeGreaterThan(490);
  });

  test('takes `ttl` as a function of the session', async () => {
    const sessions = store({ ttl: (session) => ('admin' in session ? 60 : 7200) });
    await sessions.set('admin', sessionFor(undefined, { admin: true }));
    await sessions.set('user', sessionFor(undefined));
    expect(
      await remainingTtl(server.address, await sessionKey(sessions.client, sessions.keyPrefix, 'admin')),
    ).toBeLessThanOrEqual(60);
    expect(
      await remainingTtl(server.address, await sessionKey(sessions.client, sessions.keyPrefix, 'user')),
    ).toBeGreaterThan(7000);
  });

  test('defaults `ttl` to one day, in seconds as connect-redis counts it', async () => {
    expect(SESSION_STORE_DEFAULTS.ttl).toBe(86_400);
    const sessions = store();
    await sessions.set('s1', sessionFor(undefined));
    expect(
      await remainingTtl(server.address, await sessionKey(sessions.client, sessions.keyPrefix, 's1')),
    ).toBeGreaterThan(86_000);
  });

  test('deletes instead of writing a session whose cookie has already expired', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60));
    await sessions.set('s1', sessionFor(-5));
    expect(
      await remainingTtl(server.address, await sessionKey(sessions.client, sessions.keyPrefix, 's1')),
    ).toBeUndefined();
  });

  test('reads a session whose cookie expired as a miss, whatever TTL its item has', async () => {
    const sessions = store();
    const key = await (async () => {
      await sessions.set('probe', sessionFor(60));
      return (await sessionKey(sessions.client, sessions.keyPrefix, 'probe')).replace(/probe$/, 'old');
    })();
    await rawSet(server.address, key, Buffer.from(JSON.stringify(sessionFor(-60))), 0, 3600);
    expect(await sessions.get('old')).toBeUndefined();
  });

  test('rejects a session that cannot be serialised, and hands a callback the error', async () => {
    const sessions = store();
    const unserialisable = { ...sessionFor(60), count: 1n };
    await expect(sessions.set('s1', unserialisable)).rejects.toBeInstanceOf(TypeError);
    const error = await new Promise((resolve) => sessions.set('s1', unserialisable, resolve));
    expect(error).toBeInstanceOf(TypeError);
  });

  test('uses the serializer both ways', async () => {
    const serializer = {
      stringify: (session: object) => Buffer.from(JSON.stringify(session)).toString('base64'),
      parse: (text: string) => JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as unknown,
    };
    const sessions = store({ serializer });
    await sessions.set('s1', sessionFor(60, { user: 'ada' }));
    const key = await sessionKey(sessions.client, sessions.keyPrefix, 's1');
    expect(await sessions.client.get(key)).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(await sessions.get('s1')).toMatchObject({ user: 'ada' });
  });

  test('puts the prefix, then the generation, then the id in the key', async () => {
    const sessions = store({ keyPrefix: 'app1:sess:' });
    await sessions.set('abc', sessionFor(60));
    const generation = await sessions.client.get('app1:sess:generation');
    expect(await sessions.client.get(`app1:sess:${String(generation)}:abc`)).toEqual(expect.any(String));
    await sessions.clear();
  });
});

describe('a value that is not a session', () => {
  // Another tenant or app sharing the prefix, a truncated write, a forged item: never a crash.
  const cases: [string, Buffer, number][] = [
    ['garbage bytes', Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0x22]), 0],
    ['garbage bytes under an unknown flag', Buffer.from([0xde, 0xad, 0xbe, 0xef]), 77],
    ['broken JSON under the JSON flag', Buffer.from('{"cookie":'), 2],
    ['JSON that is not an object', Buffer.from('[1,2,3]'), 0],
    ['an object without a cookie', Buffer.from('{"user":"admin"}'), 0],
    ['a cookie that is not an object', Buffer.from('{"cookie":"x"}'), 0],
    ['a cookie whose expiry is not a date', Buffer.from('{"cookie":{"expires":"soon"}}'), 0],
    ['a cookie whose expiry is a number', Buffer.from('{"cookie":{"expires":5}}'), 0],
    ['a number', Buffer.from('42'), 3],
    ['null', Buffer.from('null'), 0],
  ];
  test.each(cases)('reads %s as a miss', async (_name, bytes, flags) => {
    const sessions = store();
    await sessions.set('probe', sessionFor(60));
    const key = (await sessionKey(sessions.client, sessions.keyPrefix, 'probe')).replace(/probe$/, 'forged');
    await rawSet(server.address, key, bytes, flags);
    expect(await sessions.get('forged')).toBeUndefined();
  });

  test("reads a session stored as JSON under flag 2 (node `memcached`'s objects) as that session", async () => {
    const sessions = store();
    await sessions.set('probe', sessionFor(60));
    const key = (await sessionKey(sessions.client, sessions.keyPrefix, 'probe')).replace(/probe$/, 'old');
    await rawSet(server.address, key, Buffer.from(JSON.stringify(sessionFor(60, { user: 'ada' }))), 2);
    expect(await sessions.get('old')).toMatchObject({ user: 'ada' });
  });
});

describe('touch', () => {
  test('moves the expiry on without rewriting the session', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60, { n: 1 }));
    const key = await sessionKey(sessions.client, sessions.keyPrefix, 's1');
    await sessions.client.touch(key, 5);
    await sessions.touch('s1', sessionFor(3600, { n: 2 }));
    expect(await remainingTtl(server.address, key)).toBeGreaterThan(3500);
    expect(await sessions.get('s1')).toMatchObject({ n: 1 });
  });

  test('does nothing with disableTouch', async () => {
    const sessions = store({ disableTouch: true });
    await sessions.set('s1', sessionFor(60));
    const key = await sessionKey(sessions.client, sessions.keyPrefix, 's1');
    await sessions.touch('s1', sessionFor(3600));
    expect(await remainingTtl(server.address, key)).toBeLessThanOrEqual(60);
  });

  test('does not bring back a session that is gone', async () => {
    const sessions = store();
    await sessions.touch('gone', sessionFor(3600));
    expect(await sessions.get('gone')).toBeUndefined();
  });
});

describe('destroy', () => {
  test('deletes the session', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60));
    await sessions.destroy('s1');
    expect(await sessions.get('s1')).toBeUndefined();
  });

  test('succeeds for a session that does not exist', async () => {
    await expect(store().destroy('nobody')).resolves.toBeUndefined();
  });
});

describe('clear', () => {
  test("clears this store's sessions and no other prefix's, nor other keys", async () => {
    const mine = store();
    const theirs = store();
    const other = h.client(server.address);
    await other.set('unrelated', 'kept');
    await mine.set('s1', sessionFor(60));
    await theirs.set('s1', sessionFor(60));
    await mine.clear();
    expect(await mine.get('s1')).toBeUndefined();
    expect(await theirs.get('s1')).toBeDefined();
    expect(await other.get('unrelated')).toBe('kept');
  });

  test('holds at once for another process on the same prefix', async () => {
    const keyPrefix = uniquePrefix();
    const here = store({ keyPrefix });
    const elsewhere = store({ keyPrefix });
    await here.set('s1', sessionFor(60, { user: 'ada' }));
    expect(await elsewhere.get('s1')).toMatchObject({ user: 'ada' });
    await here.clear();
    expect(await elsewhere.get('s1')).toBeUndefined();
    // And a write made under the old generation lands under the new one.
    await elsewhere.set('s2', sessionFor(60, { user: 'bob' }));
    expect(await here.get('s2')).toMatchObject({ user: 'bob' });
  });

  test('a session loaded before a clear() and saved after it stays cleared (the save does not undo the logout)', async () => {
    const keyPrefix = uniquePrefix();
    const admin = store({ keyPrefix });
    const app = store({ keyPrefix });
    await app.set('s1', sessionFor(60, { user: 'ada' }));
    const loaded = await app.get('s1');
    await admin.clear();
    const saved = { ...loaded!, visits: 2 };
    await app.set('s1', saved);
    expect(await admin.get('s1')).toBeUndefined();
    expect(await app.get('s1')).toBeUndefined();
  });

  test('reads issued together share one counter read, and each still sees a clear() made before it', async () => {
    const keyPrefix = uniquePrefix();
    const sessions = store({ keyPrefix });
    const admin = store({ keyPrefix });
    await Promise.all(Array.from({ length: 20 }, (_, i) => sessions.set(`s${i}`, sessionFor(60))));
    await sessions.get('s0');
    const get = sessions.client.get.bind(sessions.client);
    const counterReads: string[] = [];
    sessions.client.get = ((key: string, ...rest: []) => {
      if (key.endsWith('generation')) counterReads.push(key);
      return get(key, ...rest);
    }) as typeof get;
    const read = await Promise.all(Array.from({ length: 20 }, (_, i) => sessions.get(`s${i}`)));
    expect(read.every(Boolean)).toBe(true);
    expect(counterReads).toHaveLength(1);
    await admin.clear();
    expect(await Promise.all(Array.from({ length: 20 }, (_, i) => sessions.get(`s${i}`)))).toEqual(
      Array.from({ length: 20 }, () => undefined),
    );
  });

  test('never sends flush_all', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60));
    const flush = sessions.client.flush.bind(sessions.client);
    let flushed = 0;
    sessions.client.flush = (...args) => {
      flushed += 1;
      return flush(...args);
    };
    await sessions.clear();
    expect(flushed).toBe(0);
  });

  test('a lost generation counter (evicted, restarted) never brings old sessions back', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60));
    await sessions.client.delete(`${sessions.keyPrefix}generation`);
    expect(await sessions.get('s1')).toBeUndefined();
  });
  test('reads after a lost counter share one new counter (one add, however many read at once)', async () => {
    const sessions = store();
    await Promise.all(Array.from({ length: 20 }, (_, i) => sessions.set(`s${i}`, sessionFor(60))));
    await sessions.client.delete(`${sessions.keyPrefix}generation`);
    const add = sessions.client.add.bind(sessions.client);
    let counterAdds = 0;
    sessions.client.add = ((key: string, ...rest: [string]) => {
      if (key.endsWith('generation')) counterAdds += 1;
      return add(key, ...rest);
    }) as typeof add;
    const read = await Promise.all(Array.from({ length: 20 }, (_, i) => sessions.get(`s${i}`)));
    expect(read).toEqual(Array.from({ length: 20 }, () => undefined));
    expect(counterAdds).toBe(1);
  });

  test('a counter that holds something else counts as unmoved: sessions still read', async () => {
    const sessions = store();
    await sessions.set('s1', sessionFor(60, { user: 'ada' }));
    await sessions.client.set(`${sessions.keyPrefix}generation`, 'not a counter');
    expect(await sessions.get('s1')).toMatchObject({ user: 'ada' });
  });
});

describe('listing', () => {
  test.each(['all', 'length', 'ids'] as const)(
    '%s() rejects with the typed unsupported error',
    async (method) => {
      const error = await store()
        [method]()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedCommandError);
      expect((error as UnsupportedCommandError).code).toBe(ErrorCodes.UNSUPPORTED);
    },
  );

  test('passes the unsupported error to a callback', async () => {
    const error = await new Promise((resolve) => store().length((e) => resolve(e)));
    expect(error).toBeInstanceOf(UnsupportedCommandError);
  });
});

describe('its client', () => {
  test('closes the client it created', async () => {
    const sessions = new MemwireSessionStore({ env: {}, servers: server.address });
    await sessions.close();
    await expect(sessions.client.get('x')).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
  });

  test('leaves a client it was given open', async () => {
    const client = h.client(server.address);
    const sessions = new MemwireSessionStore({ client });
    await sessions.close();
    await expect(client.set('x', '1')).resolves.toBe(true);
  });

  test('builds its client from the environment like the core does', async () => {
    const sessions = new MemwireSessionStore({ env: { MEMCACHE_SERVERS: server.address } });
    expect(sessions.client.servers).toEqual([server.address]);
    await sessions.close();
  });
});

describe('options', () => {
  test.each([
    ['a ttl of 0', { ttl: 0 }],
    ['a negative ttl', { ttl: -1 }],
    ['a ttl that is not a number', { ttl: Number.NaN }],
    ['an unknown onUnavailable', { onUnavailable: 'ignore' as 'error' }],
    ['a serializer without parse', { serializer: { stringify: JSON.stringify } as never }],
  ])('refuse %s with a ConfigError', (_name, options) => {
    expect(() => new MemwireSessionStore({ env: {}, servers: server.address, ...options })).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG }),
    );
  });
});
