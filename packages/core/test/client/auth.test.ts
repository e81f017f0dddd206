import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type AuthFront,
  type MemcachedServer,
  startAuthFront,
  startMemcached,
} from '../../../../test/support/index.js';
import { AuthError, AuthRequiredError, ErrorCodes, MemwireError } from '../../src/index.js';
import { rejections, retryUntil, serverStats, sleep, uniqueKey, useClients } from './helpers.js';

const USERNAME = 'alice';
// memcached -Y splits its auth file lines at the first ':', so a ':' in the password is fine;
// '@' and ':' also exercise percent-decoding in URLs.
const PASSWORD = 'p@ss:wd-7f3a';

const newClient = useClients();

/** A client without credentials (to read stats of the plain upstream) or with the given ones. */
const fast = { commandTimeout: 500, retryDelay: 20, maxRetryDelay: 200 } as const;

/** Every text a caller or a log could see of `error`: message, stack, causes, own properties. */
function everything(error: unknown): string {
  return `${inspect(error, { depth: 5, showHidden: true })} ${JSON.stringify(error)}`;
}

describe("memcached's own -Y authentication", () => {
  let secured: MemcachedServer;
  beforeAll(async () => {
    secured = await startMemcached({ auth: { username: USERNAME, password: PASSWORD } });
  });
  afterAll(() => secured.stop());

  const login = (options: Parameters<typeof newClient>[0] = {}) =>
    newClient({ servers: secured.address, username: USERNAME, password: PASSWORD, ...fast, ...options });

  test('the memcached dialect logs in and every command then works', async () => {
    const c = login({ authDialect: 'memcached' });
    const key = uniqueKey('memcached-dialect');
    expect(await c.set(key, 'secret data')).toBe(true);
    expect(await c.get(key)).toBe('secret data');
    expect(await c.version()).toEqual(new Map([[secured.address, expect.stringMatching(/^1\.6/)]]));
  });

  test('auto tries the memcachier form, is told "bad authentication token format", and logs in with the memcached form', async () => {
    const c = login({ authDialect: 'auto' });
    const key = uniqueKey('auto');
    expect(await c.set(key, 'v')).toBe(true);
    expect(await c.get(key)).toBe('v');
    // The pseudo-sets are not stored, under either form's key.
    expect(await c.get(USERNAME)).toBeUndefined();
  });

  test('auto is the default dialect', async () => {
    const c = login();
    expect(await c.set(uniqueKey('default-dialect'), 'v')).toBe(true);
  });

  test('commands issued before the login completes wait for it and are all answered', async () => {
    const c = login();
    const keys = Array.from({ length: 50 }, () => uniqueKey('burst'));
    const results = await Promise.all([
      ...keys.map((key, i) => c.set(key, i)),
      c.getMany(keys),
      c.stats('settings'),
    ]);
    expect(results.slice(0, 50)).toEqual(keys.map(() => true));
    expect(results[50]).toEqual(new Map(keys.map((key, i) => [key, i])));
  });

  test('a wrong password rejects with AuthError that names the server but not the password', async () => {
    for (const authDialect of ['memcached', 'auto'] as const) {
      const wrongPassword = 'Wr0ng-Passw0rd-XYZ';
      const c = login({ authDialect, password: wrongPassword });
      const error = await c.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ code: ErrorCodes.AUTH, server: secured.address });
      expect((error as Error).message).toMatch(/authentication failure/);
      expect(everything(error)).not.toContain(wrongPassword);
      expect(everything(error)).not.toContain(PASSWORD);
    }
  });

  test('failing logins back off instead of reconnecting for every call', async () => {
    const watcher = login();
    const before = await serverStats(watcher);
    const c = login({ password: 'wrong', retryDelay: 50, maxRetryDelay: 400 });
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      outcomes.push(...(await Promise.allSettled([c.get(`k${i}`)])));
      await sleep(10);
    }
    const after = await serverStats(watcher);
    const errors = rejections(outcomes);
    expect(errors).toHaveLength(100);
    for (const error of errors) {
      // The call that tried logging in and the calls failing fast during the backoff all say "auth".
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe('ERR_MEMWIRE_AUTH');
      expect(everything(error)).not.toContain(PASSWORD);
    }
    const attempts = Number(after['auth_errors']) - Number(before['auth_errors']);
    const connections = Number(after['total_connections']) - Number(before['total_connections']);
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(20);
    expect(connections).toBeLessThanOrEqual(20);
  });

  test('after the server restarts, the client logs in again by itself', async () => {
    const own = await startMemcached({ auth: { username: USERNAME, password: PASSWORD } });
    try {
      const c = newClient({ servers: own.address, username: USERNAME, password: PASSWORD, ...fast });
      expect(await c.set('k', 'before')).toBe(true);
      await own.kill();
      await expect(c.get('k')).rejects.toBeInstanceOf(MemwireError);
      await own.restart();
      await retryUntil(() => c.set('k', 'after'), 5000);
      expect(await c.get('k')).toBe('after');
    } finally {
      await own.stop();
    }
  });

  test('without credentials, each command gets the server refusal as an AuthRequiredError', async () => {
    const c = newClient({ servers: secured.address, ...fast });
    const error = await c.get('k').catch((e: unknown) => e);
    // A credentials problem (still an AuthError), told apart from a refused login by its code.
    expect(error).toBeInstanceOf(AuthRequiredError);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: ErrorCodes.AUTH_REQUIRED, server: secured.address });
    expect((error as Error).message).toMatch(/unauthenticated/);
    // memcached -Y reads a set as a login attempt: still "login required", not "refused".
    await expect(c.set('k', 'v')).rejects.toMatchObject({ code: ErrorCodes.AUTH_REQUIRED });
  });

  test('credentials come from MEMCACHE_SERVERS, MEMCACHE_USERNAME and MEMCACHE_PASSWORD', async () => {
    const c = newClient({
      ...fast,
      env: { MEMCACHE_SERVERS: secured.address, MEMCACHE_USERNAME: USERNAME, MEMCACHE_PASSWORD: PASSWORD },
    });
    expect(c.servers).toEqual([secured.address]);
    const key = uniqueKey('env');
    expect(await c.set(key, 'from env')).toBe(true);
    expect(await c.get(key)).toBe('from env');
  });

  test('explicit options win over the environment', async () => {
    const c = newClient({
      ...fast,
      servers: secured.address,
      password: PASSWORD,
      env: { MEMCACHE_SERVERS: '127.0.0.1:1', MEMCACHE_USERNAME: USERNAME, MEMCACHE_PASSWORD: 'stale' },
    });
    expect(await c.set(uniqueKey('explicit'), 'v')).toBe(true);
  });

  test('credentials come from a memcache:// URL, percent-decoded', async () => {
    const url = `memcache://${USERNAME}:${encodeURIComponent(PASSWORD)}@${secured.address}`;
    for (const c of [newClient({ ...fast, url }), newClient({ ...fast, servers: url })]) {
      const key = uniqueKey('url');
      expect(await c.set(key, 'from url')).toBe(true);
      expect(await c.get(key)).toBe('from url');
    }
    const fromEnv = newClient({ ...fast, env: { MEMCACHE_SERVERS: url } });
    expect(await fromEnv.set(uniqueKey('url-env'), 'v')).toBe(true);
  });
});

describe('hosted-service dialects, through an auth front relaying to a real memcached', () => {
  let upstream: MemcachedServer;
  let front: AuthFront | undefined;
  beforeAll(async () => {
    upstream = await startMemcached();
  });
  afterAll(() => upstream.stop());
  afterEach(async () => {
    await front?.close();
    front = undefined;
  });

  const plain = () => newClient({ servers: upstream.address, ...fast });

  async function memcachierFront(): Promise<AuthFront> {
    front = await startAuthFront({
      dialect: 'memcachier',
      upstreamPort: upstream.port,
      username: USERNAME,
      password: PASSWORD,
    });
    return front;
  }

  async function ironcacheFront(): Promise<AuthFront> {
    front = await startAuthFront({
      dialect: 'ironcache',
      upstreamPort: upstream.port,
      token: 'tok-123',
      projectId: 'proj-9',
      cacheName: 'sessions',
    });
    return front;
  }

  test.each(['memcachier', 'auto'] as const)(
    'the %s dialect logs in to MemCachier and commands reach the upstream',
    async (authDialect) => {
      const f = await memcachierFront();
      const c = newClient({
        servers: f.address,
        username: USERNAME,
        password: PASSWORD,
        authDialect,
        ...fast,
      });
      const key = uniqueKey(authDialect);
      expect(await c.set(key, 'through the front')).toBe(true);
      expect(await plain().get(key)).toBe('through the front');
      expect(await c.get(key)).toBe('through the front');
      // The set asked whether the server speaks meta, on a connection of its own, logged in too.
      await c.protocols();
      expect(f.logins).toBe(2);
      expect(f.connections).toBe(2);
      expect(f.failures).toBe(0);
    },
  );

  test('MEMCACHIER_* variables configure the client', async () => {
    const f = await memcachierFront();
    const c = newClient({
      ...fast,
      env: { MEMCACHIER_SERVERS: f.address, MEMCACHIER_USERNAME: USERNAME, MEMCACHIER_PASSWORD: PASSWORD },
    });
    expect(await c.set(uniqueKey('memcachier-env'), 'v')).toBe(true);
    await c.protocols();
    expect(f.logins).toBe(f.connections);
    expect(f.failures).toBe(0);
  });

  test('a wrong MemCachier password rejects with AuthError without the password, and does not storm', async () => {
    const f = await memcachierFront();
    const wrong = 'Not-The-Password-42';
    const c = newClient({
      servers: f.address,
      username: USERNAME,
      password: wrong,
      authDialect: 'memcachier',
      ...fast,
      retryDelay: 50,
      maxRetryDelay: 400,
    });
    const first = await c.get('k').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(AuthError);
    expect(first).toMatchObject({ code: ErrorCodes.AUTH, server: f.address });
    expect(everything(first)).not.toContain(wrong);
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      outcomes.push(...(await Promise.allSettled([c.set(`k${i}`, i)])));
      await sleep(10);
    }
    expect(rejections(outcomes)).toHaveLength(100);
    for (const error of rejections(outcomes)) expect(everything(error)).not.toContain(wrong);
    expect(f.logins).toBe(0);
    expect(f.connections).toBeGreaterThanOrEqual(2);
    expect(f.connections).toBeLessThanOrEqual(20);
  });

  test('the ironcache dialect logs in with token, project and cache', async () => {
    const f = await ironcacheFront();
    const c = newClient({
      servers: f.address,
      ironcache: { token: 'tok-123', projectId: 'proj-9', cacheName: 'sessions' },
      ...fast,
      // One connection, so the later "oauth" set travels on the connection that already logged in.
      poolSize: 1,
    });
    const key = uniqueKey('iron');
    expect(await c.set(key, 'iron value')).toBe(true);
    expect(await plain().get(key)).toBe('iron value');
    // Only the first set of a connection logs in; a later set of "oauth" is data.
    expect(await c.set('oauth', 'just data')).toBe(true);
    expect(await plain().get('oauth')).toBe('just data');
    expect(f.logins).toBe(1);
  });

  test('IRON_* variables configure the ironcache dialect', async () => {
    const f = await ironcacheFront();
    const c = newClient({
      ...fast,
      servers: f.address,
      env: { IRON_TOKEN: 'tok-123', IRON_PROJECT_ID: 'proj-9', IRON_CACHE: 'sessions' },
    });
    expect(await c.set(uniqueKey('iron-env'), 'v')).toBe(true);
    expect(f.logins).toBe(1);
  });

  test('a wrong IronCache token rejects with AuthError that does not contain the token', async () => {
    const f = await ironcacheFront();
    const c = newClient({
      servers: f.address,
      ironcache: { token: 'leaked-token-if-shown', projectId: 'proj-9', cacheName: 'sessions' },
      ...fast,
    });
    const error = await c.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).toMatch(/ironcache/);
    expect(everything(error)).not.toContain('leaked-token-if-shown');
    expect(f.failures).toBe(1);
  });

  test('after the front drops the connection, the client logs in again', async () => {
    const f = await memcachierFront();
    const c = newClient({ servers: f.address, username: USERNAME, password: PASSWORD, ...fast });
    expect(await c.set('k', 'one')).toBe(true);
    await upstream.restart();
    await retryUntil(() => c.set('k', 'two'), 5000);
    expect(await c.get('k')).toBe('two');
    expect(f.logins).toBeGreaterThanOrEqual(2);
  });
});
