import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { readEnvironment } from '../../src/config/env.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { parseServerList } from '../../src/config/server-address.js';
import { ConfigError } from '../../src/errors.js';

const SECRET = 'S3cr3tPW';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** Every text a log could show of `value`: inspect with hidden properties, and JSON. */
function everything(value: unknown): string {
  return `${inspect(value, { depth: 10, showHidden: true })} ${JSON.stringify(value)}`;
}

describe("memjs's user:pass@host:port server entries", () => {
  test('MEMCACHE_SERVERS=user:pass@host:port gives the servers and the credentials, as memjs reads it', () => {
    const config = resolveConfig({ env: { MEMCACHE_SERVERS: `app:${SECRET}@cache.example:11311` } });
    expect(config.servers).toEqual([{ host: 'cache.example', port: 11311, weight: 1 }]);
    expect(config.credentials).toEqual({ kind: 'password', username: 'app', password: SECRET });
    expect(config.sources).toMatchObject({ username: 'MEMCACHE_SERVERS', password: 'MEMCACHE_SERVERS' });
  });

  test('the same credentials on every entry are one login; a password may hold ":" and "@"', () => {
    const servers = 'app:p@ss:w@a:1,app:p@ss:w@b:2';
    const config = resolveConfig({ env: {}, servers });
    expect(config.servers.map((s) => `${s.host}:${s.port}`)).toEqual(['a:1', 'b:2']);
    expect(config.credentials).toEqual({ kind: 'password', username: 'app', password: 'p@ss:w' });
  });

  test('entries of options.servers carry credentials too, and explicit username/password win', () => {
    expect(resolveConfig({ env: {}, servers: [`app:${SECRET}@a:1`] }).credentials).toMatchObject({
      username: 'app',
      password: SECRET,
    });
    const explicit = resolveConfig({ env: {}, servers: `app:${SECRET}@a:1`, username: 'u', password: 'p' });
    expect(explicit.credentials).toMatchObject({ username: 'u', password: 'p' });
  });

  test('entries with different credentials are refused, quoting neither password', () => {
    const error = configError(() =>
      resolveConfig({ env: {}, servers: `app:${SECRET}@a:1,app:other-pw@b:1` }),
    );
    expect(error.message).toMatch(/different credentials/);
    expect(everything(error)).not.toContain(SECRET);
    expect(everything(error)).not.toContain('other-pw');
  });

  test('parseServerList, which returns addresses only, refuses credentials without quoting them', () => {
    const error = configError(() => parseServerList(`app:${SECRET}@a:1`, 'list'));
    expect(everything(error)).not.toContain(SECRET);
  });
});

describe('a ConfigError never quotes a password', () => {
  test.each([
    ['a memjs entry with a bad port', `app:${SECRET}@cache.example:port`, 'app:***@cache.example:port'],
    [
      'a misspelt scheme',
      `memcachd://app:${SECRET}@cache.example:11211`,
      'memcachd://app:***@cache.example:11211',
    ],
    ['a password without a user', `:${SECRET}@cache.example:0`, ':***@cache.example:0'],
    ['a secret without a colon', `${SECRET}@cache.example:0`, '***@cache.example:0'],
  ])('%s in MEMCACHE_SERVERS is quoted masked', (_name, entry, masked) => {
    const error = configError(() => readEnvironment({ MEMCACHE_SERVERS: entry }));
    expect(error.message).toContain('MEMCACHE_SERVERS');
    expect(error.message).toContain(masked);
    expect(everything(error)).not.toContain(SECRET);
  });

  test('a misspelt scheme says which schemes work', () => {
    const error = configError(() => resolveConfig({ env: {}, servers: `memcachd://app:${SECRET}@h:11211` }));
    expect(error.message).toMatch(/memcache:\/\/ or memcaches:\/\//);
    expect(everything(error)).not.toContain(SECRET);
  });

  test('a host object with credentials in it is quoted masked', () => {
    const error = configError(() => resolveConfig({ env: {}, servers: [{ host: `app:${SECRET}@h` }] }));
    expect(everything(error)).not.toContain(SECRET);
  });
});

describe('resolved configuration and environment never show a secret', () => {
  const TLS_KEY = '-----BEGIN PRIVATE KEY-----\nTLSKEYSECRET\n-----END PRIVATE KEY-----';

  test.each([
    ['options', { username: 'app', password: SECRET }],
    ['a URL', { url: `memcache://app:${SECRET}@h:1` }],
    ['a memjs entry', { servers: `app:${SECRET}@h:1` }],
    ['the environment', { env: { MEMCACHE_USERNAME: 'app', MEMCACHE_PASSWORD: SECRET } }],
    ['IronCache', { ironcache: { token: SECRET, projectId: 'p', cacheName: 'c' } }],
    ['a TLS key and passphrase', { tls: { key: TLS_KEY, passphrase: SECRET } }],
  ])('inspect and JSON of resolveConfig() with credentials from %s', (_name, options) => {
    const config = resolveConfig({ env: {}, ...options });
    expect(everything(config)).not.toContain(SECRET);
    expect(everything(config)).not.toContain('TLSKEYSECRET');
  });

  test('the secrets are still there for the login and TLS to use', () => {
    const config = resolveConfig({ env: {}, username: 'app', password: SECRET, tls: { passphrase: SECRET } });
    expect(config.credentials).toMatchObject({ password: SECRET });
    expect(config.tls?.passphrase).toBe(SECRET);
    expect(everything(config.credentials)).toContain('***');
  });

  test('inspect and JSON of readEnvironment() hide the password and the IronCache token', () => {
    const settings = readEnvironment({
      MEMCACHE_SERVERS: `app:${SECRET}@h:1`,
      MEMCACHE_PASSWORD: SECRET,
      IRON_TOKEN: SECRET,
      IRON_PROJECT_ID: 'p',
    });
    expect(settings.password?.value).toBe(SECRET);
    expect(everything(settings)).not.toContain(SECRET);
  });
});
