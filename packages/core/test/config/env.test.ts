import { describe, expect, test } from 'vitest';
import { readEnvironment } from '../../src/config/env.js';
import { ConfigError } from '../../src/errors.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('ERR_MEMWIRE_CONFIG');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('readEnvironment', () => {
  test('returns nothing for an empty environment', () => {
    expect(readEnvironment({})).toEqual({});
  });

  test('reads MEMCACHE_SERVERS, USERNAME and PASSWORD', () => {
    expect(
      readEnvironment({
        MEMCACHE_SERVERS: 'a:11211,b:11212',
        MEMCACHE_USERNAME: 'alice',
        MEMCACHE_PASSWORD: 'pw',
      }),
    ).toEqual({
      servers: {
        value: [
          { host: 'a', port: 11211, weight: 1 },
          { host: 'b', port: 11212, weight: 1 },
        ],
        source: 'MEMCACHE_SERVERS',
      },
      username: { value: 'alice', source: 'MEMCACHE_USERNAME' },
      password: { value: 'pw', source: 'MEMCACHE_PASSWORD' },
    });
  });

  test('prefers each MEMCACHIER_* variable over its MEMCACHE_* twin', () => {
    const settings = readEnvironment({
      MEMCACHIER_SERVERS: 'mc1:11211',
      MEMCACHE_SERVERS: 'other:11211',
      MEMCACHIER_USERNAME: 'chier-user',
      MEMCACHE_USERNAME: 'plain-user',
      MEMCACHIER_PASSWORD: 'chier-pw',
      MEMCACHE_PASSWORD: 'plain-pw',
    });
    expect(settings.servers).toEqual({
      value: [{ host: 'mc1', port: 11211, weight: 1 }],
      source: 'MEMCACHIER_SERVERS',
    });
    expect(settings.username).toEqual({ value: 'chier-user', source: 'MEMCACHIER_USERNAME' });
    expect(settings.password).toEqual({ value: 'chier-pw', source: 'MEMCACHIER_PASSWORD' });
  });

  test('falls back to MEMCACHE_* when the MEMCACHIER_* variable is blank', () => {
    const settings = readEnvironment({ MEMCACHIER_SERVERS: '  ', MEMCACHE_SERVERS: 'b:1' });
    expect(settings.servers?.source).toBe('MEMCACHE_SERVERS');
  });

  test('reads DreamFactory-style weights', () => {
    expect(readEnvironment({ MEMCACHE_SERVERS: 'a:11211:3' }).servers?.value).toEqual([
      { host: 'a', port: 11211, weight: 3 },
    ]);
  });

  test('trims the username but takes the password byte for byte', () => {
    const settings = readEnvironment({ MEMCACHE_USERNAME: ' alice \n', MEMCACHE_PASSWORD: ' pass word ' });
    expect(settings.username?.value).toBe('alice');
    expect(settings.password?.value).toBe(' pass word ');
  });

  test('reads a memcache:// URL in MEMCACHE_SERVERS, credentials included', () => {
    expect(readEnvironment({ MEMCACHE_SERVERS: 'memcache://alice:p%40ss@a:1,b:2' })).toEqual({
      servers: {
        value: [
          { host: 'a', port: 1, weight: 1 },
          { host: 'b', port: 2, weight: 1 },
        ],
        source: 'MEMCACHE_SERVERS',
      },
      username: { value: 'alice', source: 'MEMCACHE_SERVERS' },
      password: { value: 'p@ss', source: 'MEMCACHE_SERVERS' },
    });
  });

  test('lets credentials in the URL win over the USERNAME and PASSWORD variables', () => {
    const settings = readEnvironment({
      MEMCACHIER_SERVERS: 'memcache://url-user:url-pw@a',
      MEMCACHIER_USERNAME: 'var-user',
      MEMCACHIER_PASSWORD: 'var-pw',
    });
    expect(settings.username).toEqual({ value: 'url-user', source: 'MEMCACHIER_SERVERS' });
    expect(settings.password).toEqual({ value: 'url-pw', source: 'MEMCACHIER_SERVERS' });
  });

  test('turns TLS on for a memcaches:// URL, and only then', () => {
    expect(readEnvironment({ MEMCACHE_SERVERS: 'memcaches://a' }).tls).toEqual({
      value: true,
      source: 'MEMCACHE_SERVERS',
    });
    expect(readEnvironment({ MEMCACHE_SERVERS: 'memcache://a' }).tls).toBeUndefined();
  });

  test('names the variable and the bad entry when a server list is malformed', () => {
    expect(configError(() => readEnvironment({ MEMCACHIER_SERVERS: 'good:11211,bad:port' })).message).toBe(
      'MEMCACHIER_SERVERS: bad server entry "bad:port": port must be a whole number from 1 to 65535',
    );
  });

  test('names the variable and the entry, never the password, when a URL is malformed', () => {
    const error = configError(() =>
      readEnvironment({ MEMCACHE_SERVERS: 'memcache://alice:HUNTER2@a:11211,b:0' }),
    );
    expect(error.message).toContain('MEMCACHE_SERVERS');
    expect(error.message).toContain('"b:0"');
    expect(error.message).not.toContain('HUNTER2');
  });

  describe('MEMCACHE_AUTH_DIALECT', () => {
    test.each(['auto', 'memcachier', 'memcached', 'ironcache'])('accepts %s', (dialect) => {
      expect(readEnvironment({ MEMCACHE_AUTH_DIALECT: dialect }).authDialect).toEqual({
        value: dialect,
        source: 'MEMCACHE_AUTH_DIALECT',
      });
    });

    test('ignores case and surrounding spaces', () => {
      expect(readEnvironment({ MEMCACHE_AUTH_DIALECT: ' MemCached ' }).authDialect?.value).toBe('memcached');
    });

    test('rejects an unknown dialect, listing the known ones', () => {
      expect(configError(() => readEnvironment({ MEMCACHE_AUTH_DIALECT: 'sasl' })).message).toBe(
        'MEMCACHE_AUTH_DIALECT: unknown dialect "sasl"; use auto, memcachier, memcached, ironcache',
      );
    });
  });

  describe('IronCache', () => {
    test('reads IRON_TOKEN, IRON_PROJECT_ID and IRON_CACHE', () => {
      expect(
        readEnvironment({ IRON_TOKEN: 'tok', IRON_PROJECT_ID: 'proj', IRON_CACHE: 'sessions' }).ironcache,
      ).toEqual({ value: { token: 'tok', projectId: 'proj', cacheName: 'sessions' }, source: 'IRON_TOKEN' });
    });

    test('uses the cache named "default" when IRON_CACHE is not set', () => {
      expect(readEnvironment({ IRON_TOKEN: 'tok', IRON_PROJECT_ID: 'proj' }).ironcache?.value.cacheName).toBe(
        'default',
      );
    });

    test('rejects a token without a project id, without quoting the token', () => {
      const error = configError(() => readEnvironment({ IRON_TOKEN: 'SECRET-TOKEN' }));
      expect(error.message).toBe('IRON_TOKEN is set but IRON_PROJECT_ID is not');
    });

    test('ignores IRON_PROJECT_ID without a token', () => {
      expect(readEnvironment({ IRON_PROJECT_ID: 'proj' }).ironcache).toBeUndefined();
    });
  });
});
