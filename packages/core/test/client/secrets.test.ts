import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startFakeServer, startMemcached } from '../../../../test/support/index.js';
import { ConfigError, createClient } from '../../src/index.js';
import { retryUntil, uniqueKey, useClients } from './helpers.js';

const USERNAME = 'app';
const PASSWORD = 'S3cr3tPW-9d1e';

let secured: MemcachedServer;
beforeAll(async () => {
  secured = await startMemcached({ auth: { username: USERNAME, password: PASSWORD } });
});
afterAll(() => secured.stop());

const newClient = useClients();
const fast = { commandTimeout: 1000, retryDelay: 20, maxRetryDelay: 200 } as const;

describe("memjs's MEMCACHE_SERVERS=user:pass@host:port", () => {
  test('logs in to memcached -Y with the credentials of the entry', async () => {
    const c = newClient({ ...fast, env: { MEMCACHE_SERVERS: `${USERNAME}:${PASSWORD}@${secured.address}` } });
    expect(c.servers).toEqual([secured.address]);
    const key = uniqueKey('memjs-entry');
    expect(await c.set(key, 'logged in')).toBe(true);
    expect(await c.get(key)).toBe('logged in');
  });
});

describe('a client never shows its credentials', () => {
  const TLS_KEY = 'TLSKEY-0b7c';
  const cases = [
    ['options', { username: USERNAME, password: PASSWORD }],
    ['a URL', { url: `memcache://${USERNAME}:${encodeURIComponent(PASSWORD)}@127.0.0.1:1` }],
    ['MEMCACHE_PASSWORD', { env: { MEMCACHE_USERNAME: USERNAME, MEMCACHE_PASSWORD: PASSWORD } }],
  ] as const;

  test.each(cases)(
    'util.inspect(client, { depth: 10 }) and JSON.stringify(client), credentials from %s',
    async (_name, options) => {
      const c = newClient({ servers: secured.address, ...fast, ...options });
      await c.get(uniqueKey('k')).catch(() => undefined); // connected and logged in (or failed)
      for (const text of [
        inspect(c, { depth: 10 }),
        inspect(c, { depth: 10, showHidden: true }),
        JSON.stringify(c),
      ]) {
        expect(text).not.toContain(PASSWORD);
      }
      expect(JSON.parse(JSON.stringify(c))).toMatchObject({ servers: c.servers });
    },
  );

  test('nor while its login is still waiting for an answer', async () => {
    // A server that reads the login and never answers: the pseudo-set stays in flight.
    let received = '';
    const silent = await startFakeServer((_socket, chunk) => {
      received += chunk.toString('latin1');
    });
    try {
      const c = newClient({
        servers: silent.address,
        username: USERNAME,
        password: PASSWORD,
        commandTimeout: 2000,
      });
      const pending = c.get('k').catch(() => undefined);
      await retryUntil(async () => expect(received).toContain(PASSWORD), 1500);
      const text = inspect(c, { depth: 20, showHidden: true });
      expect(text).not.toContain(PASSWORD);
      // Nor as the bytes of the pseudo-set (util.inspect shows a Buffer as hex).
      const hex = [...Buffer.from(PASSWORD)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
      expect(text).not.toContain(hex);
      await c.close();
      await pending;
    } finally {
      await silent.close();
    }
  });

  test('nor the private key or passphrase of its TLS options', () => {
    const c = newClient({ servers: secured.address, tls: { key: TLS_KEY, passphrase: PASSWORD } });
    const text = `${inspect(c, { depth: 10, showHidden: true })} ${JSON.stringify(c)}`;
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TLS_KEY);
  });

  test('createClient with a malformed memjs entry throws a ConfigError that does not quote the password', () => {
    let caught: unknown;
    try {
      createClient({ env: { MEMCACHIER_SERVERS: `${USERNAME}:${PASSWORD}@cache.example:port` } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(`${USERNAME}:***@cache.example:port`);
    expect(`${inspect(caught, { showHidden: true })}${JSON.stringify(caught)}`).not.toContain(PASSWORD);
  });
});
