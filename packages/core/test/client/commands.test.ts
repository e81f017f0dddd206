import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import {
  ClientError,
  type ClientOptions,
  djangoKeyFunction,
  ErrorCodes,
  InvalidArgumentError,
} from '../../src/index.js';
import {
  rawRequest,
  remainingTtl,
  retryUntil,
  serverStats,
  sleep,
  uniqueKey,
  useClients,
} from './helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(() => server.stop());

const newClient = useClients();
const client = (options: ClientOptions = {}) =>
  newClient({ servers: server.address, commandTimeout: 500, retryDelay: 20, ...options });

describe('get', () => {
  test('returns undefined for a key that does not exist', async () => {
    expect(await client().get(uniqueKey('missing'))).toBeUndefined();
  });

  test('returns the value a set stored', async () => {
    const c = client();
    const key = uniqueKey('get');
    expect(await c.set(key, 'hello')).toBe(true);
    expect(await c.get(key)).toBe('hello');
  });

  test('gives every caller its value when the same key is asked twice in one tick', async () => {
    const c = client();
    const key = uniqueKey('twice');
    await c.set(key, 'shared');
    expect(await Promise.all([c.get(key), c.get(key), c.get(uniqueKey('other'))])).toEqual([
      'shared',
      'shared',
      undefined,
    ]);
  });
});

describe('getMany', () => {
  test('returns the hits keyed by the caller keys and leaves misses out', async () => {
    const c = client();
    const [a, b, missing] = [uniqueKey('a'), uniqueKey('b'), uniqueKey('missing')];
    await Promise.all([c.set(a, 1), c.set(b, 'two')]);
    const found = await c.getMany([a, missing, b]);
    expect(found).toEqual(
      new Map<string, unknown>([
        [a, 1],
        [b, 'two'],
      ]),
    );
    expect(found.has(missing)).toBe(false);
  });

  test('returns each key once when the list repeats it', async () => {
    const c = client();
    const key = uniqueKey('dup');
    await c.set(key, 'x');
    const found = await c.getMany([key, key, key]);
    expect([...found]).toEqual([[key, 'x']]);
  });

  test('resolves to an empty Map for an empty list without contacting the server', async () => {
    const c = newClient({ servers: '127.0.0.1:1', commandTimeout: 300 });
    expect(await c.getMany([])).toEqual(new Map());
  });

  test('accepts any iterable of keys', async () => {
    const c = client();
    const key = uniqueKey('iter');
    await c.set(key, 'v');
    expect(await c.getMany(new Set([key]))).toEqual(new Map([[key, 'v']]));
  });
});

describe('gets and cas', () => {
  test('gets returns the value with a CAS token, and undefined on a miss', async () => {
    const c = client();
    const key = uniqueKey('gets');
    await c.set(key, 'v1');
    const got = await c.gets(key);
    expect(got?.value).toBe('v1');
    expect(got?.cas).toMatch(/^\d+$/);
    expect(await c.gets(uniqueKey('missing'))).toBeUndefined();
  });

  test('cas stores when the value is unchanged since gets', async () => {
    const c = client();
    const key = uniqueKey('cas-ok');
    await c.set(key, 'v1');
    const got = await c.gets(key);
    expect(await c.cas(key, 'v2', got!.cas)).toBe(true);
    expect(await c.get(key)).toBe('v2');
  });

  test('cas resolves false (EXISTS) when another write came first', async () => {
    const c = client();
    const key = uniqueKey('cas-exists');
    await c.set(key, 'v1');
    const got = await c.gets(key);
    await c.set(key, 'someone else');
    expect(await c.cas(key, 'v2', got!.cas)).toBe(false);
    expect(await c.get(key)).toBe('someone else');
  });

  test('cas resolves false (NOT_FOUND) when the key is gone', async () => {
    const c = client();
    const key = uniqueKey('cas-gone');
    await c.set(key, 'v1');
    const got = await c.gets(key);
    await c.delete(key);
    expect(await c.cas(key, 'v2', got!.cas)).toBe(false);
    expect(await c.get(key)).toBeUndefined();
  });

  test('cas rejects a token that is not one gets returned, sending nothing', async () => {
    const c = client();
    await expect(c.cas(uniqueKey('cas-bad'), 'v', '12 noreply')).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('getAndTouch and getsAndTouch', () => {
  test('getAndTouch returns the value and sets its new TTL on the server', async () => {
    const c = client();
    const key = uniqueKey('gat');
    await c.set(key, 'v', { ttl: 0 });
    expect(await remainingTtl(server.port, key)).toBe(-1);
    expect(await c.getAndTouch(key, 1000)).toBe('v');
    const ttl = await remainingTtl(server.port, key);
    expect(ttl).toBeGreaterThan(990);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  test('getsAndTouch returns the value with a CAS token usable by cas', async () => {
    const c = client();
    const key = uniqueKey('gats');
    await c.set(key, 'v1');
    const got = await c.getsAndTouch(key, 500);
    expect(got?.value).toBe('v1');
    expect(await remainingTtl(server.port, key)).toBeGreaterThan(490);
    expect(await c.cas(key, 'v2', got!.cas)).toBe(true);
  });

  test('both return undefined on a miss', async () => {
    const c = client();
    expect(await c.getAndTouch(uniqueKey('gat-miss'), 10)).toBeUndefined();
    expect(await c.getsAndTouch(uniqueKey('gats-miss'), 10)).toBeUndefined();
  });
});

describe('storage commands', () => {
  test('set overwrites an existing value', async () => {
    const c = client();
    const key = uniqueKey('set');
    expect(await c.set(key, 'a')).toBe(true);
    expect(await c.set(key, 'b')).toBe(true);
    expect(await c.get(key)).toBe('b');
  });

  test('add stores a new key and resolves false (not an error) for an existing one', async () => {
    const c = client();
    const key = uniqueKey('add');
    expect(await c.add(key, 'first')).toBe(true);
    expect(await c.add(key, 'second')).toBe(false);
    expect(await c.get(key)).toBe('first');
  });

  test('replace resolves false for a missing key and replaces an existing one', async () => {
    const c = client();
    const key = uniqueKey('replace');
    expect(await c.replace(key, 'x')).toBe(false);
    expect(await c.get(key)).toBeUndefined();
    await c.set(key, 'old');
    expect(await c.replace(key, 'new')).toBe(true);
    expect(await c.get(key)).toBe('new');
  });

  test('append and prepend add bytes around an existing value, and resolve false for a missing key', async () => {
    const c = client();
    const key = uniqueKey('pend');
    expect(await c.append(key, 'x')).toBe(false);
    expect(await c.prepend(key, 'x')).toBe(false);
    expect(await c.get(key)).toBeUndefined();
    await c.set(key, 'middle');
    expect(await c.append(key, '>')).toBe(true);
    expect(await c.prepend(key, '<')).toBe(true);
    expect(await c.get(key)).toBe('<middle>');
  });

  test('a write with ttl expires on the server', async () => {
    const c = client();
    const key = uniqueKey('ttl');
    await c.set(key, 'short', { ttl: 1 });
    expect(await remainingTtl(server.port, key)).toBeLessThanOrEqual(1);
    await retryUntil(async () => {
      expect(await c.get(key)).toBeUndefined();
    }, 4000);
  });

  test('the client ttl option is the default TTL of writes', async () => {
    const c = newClient({ servers: server.address, commandTimeout: 500, ttl: 300 });
    const key = uniqueKey('default-ttl');
    await c.set(key, 'v');
    const ttl = await remainingTtl(server.port, key);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
  });
});

describe('delete', () => {
  test('removes a key and resolves false for a key that does not exist', async () => {
    const c = client();
    const key = uniqueKey('delete');
    await c.set(key, 'v');
    expect(await c.delete(key)).toBe(true);
    expect(await c.get(key)).toBeUndefined();
    expect(await c.delete(key)).toBe(false);
  });
});

describe('incr and decr', () => {
  test('change a number and return the new value, keeping it a number for get', async () => {
    const c = client();
    const key = uniqueKey('counter');
    await c.set(key, 10);
    expect(await c.incr(key)).toBe(11);
    expect(await c.incr(key, 89)).toBe(100);
    expect(await c.decr(key, 30)).toBe(70);
    expect(await c.decr(key)).toBe(69);
    expect(await c.get(key)).toBe(69);
  });

  test('return undefined for a key that does not exist', async () => {
    const c = client();
    expect(await c.incr(uniqueKey('nokey'), 1)).toBeUndefined();
    expect(await c.decr(uniqueKey('nokey'), 1)).toBeUndefined();
  });

  test('decr stops at 0', async () => {
    const c = client();
    const key = uniqueKey('floor');
    await c.set(key, 5);
    expect(await c.decr(key, 100)).toBe(0);
    expect(await c.get(key)).toBe(0);
  });

  test('with a bigint delta return a bigint, exact past 2^53 and wrapping at 2^64', async () => {
    const c = client();
    const key = uniqueKey('big');
    await c.set(key, 2n ** 64n - 2n);
    expect(await c.incr(key, 1n)).toBe(2n ** 64n - 1n);
    expect(await c.incr(key, 1n)).toBe(0n);
    expect(await c.incr(key, 2n ** 60n + 1n)).toBe(2n ** 60n + 1n);
    expect(await c.decr(key, 1n)).toBe(2n ** 60n);
    expect(await c.decr(uniqueKey('nokey'), 1n)).toBeUndefined();
  });

  test('on a value that is not a number reject with ClientError, and the connection stays usable', async () => {
    const c = client();
    const key = uniqueKey('text');
    await c.set(key, 'abc');
    const failing = c.incr(key, 1);
    const after = c.get(key);
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: ErrorCodes.CLIENT_ERROR, server: server.address });
    expect((error as Error).message).toMatch(/non-numeric/);
    expect(await after).toBe('abc');
    expect(await c.set(key, 1)).toBe(true);
    expect(await c.incr(key, 1)).toBe(2);
  });

  test('reject a negative or fractional delta without sending anything', async () => {
    const c = client();
    await expect(c.incr(uniqueKey('n'), -1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(c.decr(uniqueKey('n'), 1.5)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(c.incr(uniqueKey('n'), 2n ** 64n)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    });
  });
});

describe('touch', () => {
  test('sets a new TTL on an existing key and resolves false for a missing one', async () => {
    const c = client();
    const key = uniqueKey('touch');
    await c.set(key, 'v');
    expect(await c.touch(key, 600)).toBe(true);
    const ttl = await remainingTtl(server.port, key);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await c.touch(uniqueKey('missing'), 600)).toBe(false);
  });
});

describe('flush', () => {
  // Its own server: a delayed flush_all would otherwise wipe the keys of later tests.
  let own: MemcachedServer | undefined;
  afterEach(async () => {
    await own?.stop();
    own = undefined;
  });

  test('invalidates every item at once', async () => {
    own = await startMemcached();
    const c = newClient({ servers: own.address, commandTimeout: 500 });
    await Promise.all([c.set('a', 1), c.set('b', 2)]);
    await c.flush();
    expect(await c.getMany(['a', 'b'])).toEqual(new Map());
  });

  test('with a delay invalidates items only once the delay has passed', async () => {
    own = await startMemcached();
    const c = newClient({ servers: own.address, commandTimeout: 500 });
    await c.set('later', 'v');
    // memcached's clock ticks in whole seconds and `flush_all 1` already covers items stored in the
    // current second (seen on 1.6.18: gone at once); 3 leaves at least one full second to look.
    await c.flush(3);
    expect(await c.get('later')).toBe('v');
    await retryUntil(async () => {
      expect(await c.get('later')).toBeUndefined();
    }, 5000);
  });

  test('rejects a delay that is not a whole number of seconds', async () => {
    const c = client();
    await expect(c.flush(-1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(c.flush(0.5)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('stats, version and verbosity', () => {
  test('stats returns the general statistics keyed by server address', async () => {
    const stats = await client().stats();
    expect([...stats.keys()]).toEqual([server.address]);
    const general = stats.get(server.address)!;
    expect(general['version']).toMatch(/^1\.6/);
    expect(Number(general['pid'])).toBe(server.pid);
    expect(general['curr_connections']).toMatch(/^\d+$/);
  });

  test('stats with a group returns that group', async () => {
    const c = client();
    await c.set(uniqueKey('slab'), 'fills a slab class');
    const slabs = (await c.stats('slabs')).get(server.address)!;
    expect(slabs['active_slabs']).toMatch(/^[1-9]\d*$/);
    expect(Object.keys(slabs).some((name) => /^\d+:chunk_size$/.test(name))).toBe(true);
    const settings = (await c.stats('settings')).get(server.address)!;
    expect(settings['tcpport']).toBe(String(server.port));
    expect(settings['item_size_max']).toBe(String(1024 * 1024));
  });

  test('stats rejects a group that would inject a command', async () => {
    await expect(client().stats('slabs\r\nflush_all')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test('version returns the server version', async () => {
    const versions = await client().version();
    expect(versions.get(server.address)).toMatch(/^1\.6\.\d+/);
  });

  test('verbosity is accepted by the server', async () => {
    const c = client();
    await expect(c.verbosity(1)).resolves.toBeUndefined();
    await expect(c.verbosity(0)).resolves.toBeUndefined();
    await expect(c.verbosity(-1)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('quit', () => {
  test('closes the connection after the commands already issued, and the next command reconnects', async () => {
    // One connection, so total_connections counts exactly one reconnect.
    const c = client({ poolSize: 1 });
    const key = uniqueKey('quit');
    // Asked first: the meta question has a connection of its own, which would count below.
    await c.protocols();
    const before = Number((await serverStats(c))['total_connections']);
    const stored = c.set(key, 'v');
    await c.quit();
    expect(await stored).toBe(true);
    expect(await c.get(key)).toBe('v');
    const after = Number((await serverStats(c))['total_connections']);
    expect(after).toBe(before + 1);
  });

  test('while the first connection is still opening, the commands issued before it are answered', async () => {
    const c = client();
    const key = uniqueKey('quit-early');
    const stored = c.set(key, 'v');
    await c.quit();
    expect(await stored).toBe(true);
    expect(await c.get(key)).toBe('v');
  });

  test('is harmless on a client that never connected', async () => {
    const c = client();
    await c.quit();
    expect(await c.version()).toBeInstanceOf(Map);
  });
});

describe('key mapping', () => {
  test('keyPrefix is prepended to the key on the wire and hidden from the caller', async () => {
    const prefixed = newClient({ servers: server.address, keyPrefix: 'app1:' });
    const plain = client();
    const key = uniqueKey('k');
    await prefixed.set(key, 'v');
    expect(await plain.get(`app1:${key}`)).toBe('v');
    expect(await plain.get(key)).toBeUndefined();
    expect(await prefixed.getMany([key])).toEqual(new Map([[key, 'v']]));
    const raw = await rawRequest(server.port, `get app1:${key}\r\n`, /END\r\n$/);
    expect(raw).toBe(`VALUE app1:${key} 0 1\r\nv\r\nEND\r\n`);
  });

  test('djangoKeyFunction writes the keys a Django app reads (prefix:version:key)', async () => {
    const django = newClient({
      servers: server.address,
      keyFunction: djangoKeyFunction({ prefix: 'shop', version: 3 }),
    });
    const defaults = newClient({ servers: server.address, keyFunction: djangoKeyFunction() });
    const plain = client();
    const key = uniqueKey('greeting');
    await django.set(key, 'hello');
    await defaults.set(key, 'default');
    expect(await plain.get(`shop:3:${key}`)).toBe('hello');
    expect(await plain.get(`:1:${key}`)).toBe('default');
    expect(await django.get(key)).toBe('hello');
  });

  test('keyPrefix goes before the keyFunction result', async () => {
    const both = newClient({
      servers: server.address,
      keyPrefix: 'p/',
      keyFunction: djangoKeyFunction({ prefix: 'shop' }),
    });
    const key = uniqueKey('both');
    await both.set(key, 'v');
    expect(await client().get(`p/shop:1:${key}`)).toBe('v');
  });

  test('getMany answers every caller key that a keyFunction sends as the same key', async () => {
    // Case-folded keys: two caller keys, one item. get() answers both; getMany must too.
    const folded = newClient({ servers: server.address, keyFunction: (key) => key.toLowerCase() });
    const key = uniqueKey('fold');
    await folded.set(key, 'v');
    expect(await folded.get(key.toUpperCase())).toBe('v');
    expect(await folded.getMany([key.toUpperCase(), key])).toEqual(
      new Map([
        [key.toUpperCase(), 'v'],
        [key, 'v'],
      ]),
    );
    const settled = await folded.getManySettled([key, key.toUpperCase()]);
    expect(settled.get(key.toUpperCase())).toEqual({ ok: true, value: 'v' });
  });
});

describe('pipelining', () => {
  test('many different commands issued together each get their own reply', async () => {
    const c = client();
    const keys = Array.from({ length: 50 }, (_, i) => uniqueKey(`p${i}`));
    const results = await Promise.all(
      keys.flatMap((key, i) => [c.set(key, i), c.incr(key, 1), c.get(key), c.delete(key), c.get(key)]),
    );
    for (let i = 0; i < keys.length; i++) {
      expect(results.slice(i * 5, i * 5 + 5)).toEqual([true, i + 1, i + 1, true, undefined]);
    }
  });

  test('a pause between commands does not disturb the connection', async () => {
    const c = client();
    const key = uniqueKey('pause');
    await c.set(key, 'v');
    await sleep(50);
    expect(await c.get(key)).toBe('v');
  });
});
