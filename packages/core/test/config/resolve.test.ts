import { afterEach, describe, expect, test, vi } from 'vitest';
import { defaultCodec } from '../../src/codec/default-codec.js';
import { rawCodec } from '../../src/codec/raw-codec.js';
import { DEFAULT_OPTIONS } from '../../src/config/defaults.js';
import type { ClientOptions } from '../../src/config/options.js';
import { resolveConfig } from '../../src/config/resolve.js';
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

describe('resolveConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  describe('defaults', () => {
    test('applies every default from DEFAULT_OPTIONS', () => {
      const config = resolveConfig({ env: {} });
      expect(config).toMatchObject({
        servers: [{ host: '127.0.0.1', port: 11211, weight: 1 }],
        credentials: undefined,
        authDialect: DEFAULT_OPTIONS.authDialect,
        tls: undefined,
        keyPrefix: DEFAULT_OPTIONS.keyPrefix,
        keyFunction: undefined,
        hashLongKeys: DEFAULT_OPTIONS.hashLongKeys,
        ttl: DEFAULT_OPTIONS.ttl,
        maxValueSize: DEFAULT_OPTIONS.maxValueSize,
        connectTimeout: DEFAULT_OPTIONS.connectTimeout,
        commandTimeout: DEFAULT_OPTIONS.commandTimeout,
        retryDelay: DEFAULT_OPTIONS.retryDelay,
        maxRetryDelay: DEFAULT_OPTIONS.maxRetryDelay,
        distribution: DEFAULT_OPTIONS.distribution,
        maxKeysPerGet: DEFAULT_OPTIONS.maxKeysPerGet,
        keepAlive: DEFAULT_OPTIONS.keepAlive,
      });
      expect(config.codec).toBe(defaultCodec);
    });

    test('says every setting came from the defaults', () => {
      expect(resolveConfig({ env: {} }).sources).toEqual({
        servers: 'default',
        username: 'default',
        password: 'default',
        tls: 'default',
        authDialect: 'default',
      });
    });

    test('keeps explicit values that are falsy', () => {
      const config = resolveConfig({ env: {}, keepAlive: false, retryDelay: 0, ttl: 0, keyPrefix: '' });
      expect(config.keepAlive).toBe(false);
      expect(config.retryDelay).toBe(0);
    });
  });

  describe('servers', () => {
    test('reads a server list string', () => {
      const config = resolveConfig({ env: {}, servers: 'a:1, b' });
      expect(config.servers).toEqual([
        { host: 'a', port: 1, weight: 1 },
        { host: 'b', port: 11211, weight: 1 },
      ]);
      expect(config.sources.servers).toBe('options.servers');
    });

    test('reads an array of strings and objects', () => {
      expect(resolveConfig({ env: {}, servers: ['a:1,b:2', { host: 'c', weight: 2 }] }).servers).toEqual([
        { host: 'a', port: 1, weight: 1 },
        { host: 'b', port: 2, weight: 1 },
        { host: 'c', port: 11211, weight: 2 },
      ]);
    });

    test('names the array index of a bad entry', () => {
      expect(configError(() => resolveConfig({ env: {}, servers: ['a', 'b:x'] })).message).toMatch(
        /^options\.servers\[1\]: bad server entry "b:x"/,
      );
      expect(
        configError(() => resolveConfig({ env: {}, servers: ['a', { host: 'c', port: 0 }] })).message,
      ).toBe('options.servers[1]: bad port 0 for c');
    });

    test('rejects an empty array', () => {
      expect(configError(() => resolveConfig({ env: {}, servers: [] })).message).toBe(
        'options.servers: no servers given',
      );
    });

    test('reads a memcache:// URL given as servers, with its credentials and TLS', () => {
      const config = resolveConfig({ env: {}, servers: 'memcaches://alice:pw@a:1' });
      expect(config.servers).toEqual([{ host: 'a', port: 1, weight: 1 }]);
      expect(config.credentials).toEqual({ kind: 'password', username: 'alice', password: 'pw' });
      expect(config.tls).toEqual({});
      expect(config.sources).toMatchObject({
        servers: 'options.servers',
        username: 'options.servers',
        password: 'options.servers',
        tls: 'options.servers',
      });
    });

    test('reads servers and credentials from options.url', () => {
      const config = resolveConfig({ env: {}, url: 'memcache://alice:pw@a:1' });
      expect(config.servers).toEqual([{ host: 'a', port: 1, weight: 1 }]);
      expect(config.credentials).toEqual({ kind: 'password', username: 'alice', password: 'pw' });
      expect(config.sources).toMatchObject({ servers: 'options.url', username: 'options.url' });
    });

    test('lets servers, username and password win over options.url', () => {
      const config = resolveConfig({
        env: {},
        url: 'memcache://url-user:url-pw@url-host',
        servers: 'opt-host',
        username: 'opt-user',
        password: 'opt-pw',
      });
      expect(config.servers.map((s) => s.host)).toEqual(['opt-host']);
      expect(config.credentials).toEqual({ kind: 'password', username: 'opt-user', password: 'opt-pw' });
    });
  });

  describe('the environment', () => {
    const env = {
      MEMCACHIER_SERVERS: 'env-host:11211',
      MEMCACHIER_USERNAME: 'env-user',
      MEMCACHIER_PASSWORD: 'env-pw',
      MEMCACHE_AUTH_DIALECT: 'memcached',
    };

    test('is used when no option is given, and named in sources', () => {
      const config = resolveConfig({ env });
      expect(config.servers).toEqual([{ host: 'env-host', port: 11211, weight: 1 }]);
      expect(config.credentials).toEqual({ kind: 'password', username: 'env-user', password: 'env-pw' });
      expect(config.authDialect).toBe('memcached');
      expect(config.sources).toEqual({
        servers: 'MEMCACHIER_SERVERS',
        username: 'MEMCACHIER_USERNAME',
        password: 'MEMCACHIER_PASSWORD',
        tls: 'default',
        authDialect: 'MEMCACHE_AUTH_DIALECT',
      });
    });

    test('loses to explicit options', () => {
      const config = resolveConfig({
        env,
        servers: 'opt-host',
        username: 'opt-user',
        password: 'opt-pw',
        authDialect: 'memcachier',
        tls: false,
      });
      expect(config.servers.map((s) => s.host)).toEqual(['opt-host']);
      expect(config.credentials).toEqual({ kind: 'password', username: 'opt-user', password: 'opt-pw' });
      expect(config.authDialect).toBe('memcachier');
      expect(config.tls).toBeUndefined();
      expect(config.sources).toEqual({
        servers: 'options.servers',
        username: 'options.username',
        password: 'options.password',
        tls: 'options.tls',
        authDialect: 'options.authDialect',
      });
    });

    test('loses to options.url too', () => {
      const config = resolveConfig({ env, url: 'memcache://url-user:url-pw@url-host' });
      expect(config.servers.map((s) => s.host)).toEqual(['url-host']);
      expect(config.credentials).toEqual({ kind: 'password', username: 'url-user', password: 'url-pw' });
    });

    test('is ignored entirely with env: false', () => {
      vi.stubEnv('MEMCACHIER_SERVERS', 'from-process-env:11211');
      vi.stubEnv('MEMCACHIER_USERNAME', 'process-user');
      vi.stubEnv('MEMCACHIER_PASSWORD', 'process-pw');
      const config = resolveConfig({ env: false });
      expect(config.servers).toEqual([{ host: '127.0.0.1', port: 11211, weight: 1 }]);
      expect(config.credentials).toBeUndefined();
    });

    test('is process.env by default', () => {
      vi.stubEnv('MEMCACHIER_SERVERS', 'from-process-env:11211');
      vi.stubEnv('MEMCACHIER_USERNAME', 'process-user');
      vi.stubEnv('MEMCACHIER_PASSWORD', 'process-pw');
      const config = resolveConfig();
      expect(config.servers).toEqual([{ host: 'from-process-env', port: 11211, weight: 1 }]);
      expect(config.sources.servers).toBe('MEMCACHIER_SERVERS');
    });

    test('turns TLS on from a memcaches:// URL in the environment', () => {
      const config = resolveConfig({ env: { MEMCACHE_SERVERS: 'memcaches://a' } });
      expect(config.tls).toEqual({});
      expect(config.sources.tls).toBe('MEMCACHE_SERVERS');
    });
  });

  describe('credentials', () => {
    test('rejects a username without a password, naming where the username came from', () => {
      expect(configError(() => resolveConfig({ env: {}, username: 'alice' })).message).toBe(
        'a username is set (options.username) but no password',
      );
      expect(configError(() => resolveConfig({ env: { MEMCACHE_USERNAME: 'alice' } })).message).toBe(
        'a username is set (MEMCACHE_USERNAME) but no password',
      );
    });

    test('rejects a password without a username, without quoting the password', () => {
      const error = configError(() => resolveConfig({ env: { MEMCACHIER_PASSWORD: 'HUNTER2' } }));
      expect(error.message).toBe('a password is set (MEMCACHIER_PASSWORD) but no username');
    });

    test('rejects a username that could not travel as a key', () => {
      expect(configError(() => resolveConfig({ env: {}, username: 'al ice', password: 'pw' })).message).toBe(
        'username (options.username) contains a space at index 2',
      );
    });

    test('rejects a password with a line break, without quoting it', () => {
      const error = configError(() => resolveConfig({ env: {}, username: 'alice', password: 'HUNTER\r\n2' }));
      expect(error.message).toBe('password (options.password) contains a line break');
    });

    test('accepts a password with spaces', () => {
      expect(resolveConfig({ env: {}, username: 'alice', password: 'a b c' }).credentials).toEqual({
        kind: 'password',
        username: 'alice',
        password: 'a b c',
      });
    });

    test('picks the ironcache dialect for IronCache credentials without a username', () => {
      const config = resolveConfig({
        env: { IRON_TOKEN: 'tok', IRON_PROJECT_ID: 'proj' },
      });
      expect(config.authDialect).toBe('ironcache');
      expect(config.credentials).toEqual({
        kind: 'ironcache',
        token: 'tok',
        projectId: 'proj',
        cacheName: 'default',
      });
    });

    test('keeps auto when a username is set beside IronCache credentials', () => {
      const config = resolveConfig({
        env: { IRON_TOKEN: 'tok', IRON_PROJECT_ID: 'proj' },
        username: 'alice',
        password: 'pw',
      });
      expect(config.authDialect).toBe('auto');
      expect(config.credentials).toEqual({ kind: 'password', username: 'alice', password: 'pw' });
    });

    test('rejects the ironcache dialect without IronCache credentials', () => {
      expect(configError(() => resolveConfig({ env: {}, authDialect: 'ironcache' })).message).toMatch(
        /no IronCache credentials/,
      );
    });

    test('rejects IronCache credentials holding whitespace', () => {
      expect(
        configError(() =>
          resolveConfig({ env: {}, ironcache: { token: 'to ken', projectId: 'p', cacheName: 'c' } }),
        ).message,
      ).toBe('ironcache.token must be a non-empty string without whitespace');
    });

    test('rejects an unknown authDialect option', () => {
      expect(
        configError(() => resolveConfig({ env: {}, authDialect: 'sasl' as ClientOptions['authDialect'] }))
          .message,
      ).toBe('options.authDialect: unknown dialect "sasl"; use auto, memcachier, memcached, ironcache');
    });
  });

  describe('tls', () => {
    test('turns true into Node defaults and passes options through', () => {
      expect(resolveConfig({ env: {}, tls: true }).tls).toEqual({});
      const options = { servername: 'cache.example.com' };
      expect(resolveConfig({ env: {}, tls: options }).tls).toEqual(options);
      expect(resolveConfig({ env: {}, tls: false }).tls).toBeUndefined();
    });
  });

  describe('numbers', () => {
    test('accepts the lowest allowed values', () => {
      const config = resolveConfig({
        env: {},
        ttl: -1,
        maxValueSize: 1,
        connectTimeout: 1,
        commandTimeout: 1,
        retryDelay: 0,
        maxRetryDelay: 0,
        maxKeysPerGet: 1,
      });
      expect(config).toMatchObject({ ttl: -1, maxValueSize: 1, connectTimeout: 1, maxKeysPerGet: 1 });
    });

    test.each([
      ['maxValueSize', 0],
      ['connectTimeout', 0],
      ['commandTimeout', -5],
      ['retryDelay', -1],
      ['maxRetryDelay', -1],
      ['maxKeysPerGet', 0],
      ['commandTimeout', Number.NaN],
      ['ttl', Number.NaN],
      ['connectTimeout', '2000'],
    ])('rejects %s = %s, naming the option', (name, value) => {
      expect(configError(() => resolveConfig({ env: {}, [name]: value })).message).toMatch(
        new RegExp(`^options\\.${name} must be`),
      );
    });

    test.each([
      ['ttl', Number.POSITIVE_INFINITY],
      ['maxValueSize', Number.POSITIVE_INFINITY],
      ['maxKeysPerGet', Number.POSITIVE_INFINITY],
      ['retryDelay', Number.POSITIVE_INFINITY],
      ['maxRetryDelay', Number.POSITIVE_INFINITY],
    ])('rejects %s = %s, which is not finite', (name, value) => {
      expect(configError(() => resolveConfig({ env: {}, [name]: value })).message).toMatch(
        new RegExp(`^options\\.${name} must be`),
      );
    });

    // Node fires a timer whose delay is over 2^31-1 ms (about 24.8 days) after 1 ms, so such a
    // timeout would fail every command at once.
    test.each([
      ['connectTimeout', Number.POSITIVE_INFINITY],
      ['commandTimeout', Number.POSITIVE_INFINITY],
      ['commandTimeout', 2 ** 31],
      ['connectTimeout', 2 ** 31],
      // The reconnect backoff and the discovery poll are timers too: past 2^31-1 they would fire
      // every millisecond instead of rarely.
      ['retryDelay', 2 ** 31],
      ['maxRetryDelay', 2 ** 31],
      ['maxRetryDelay', 1e300],
    ])('rejects %s = %s, too long for a Node timer', (name, value) => {
      expect(configError(() => resolveConfig({ env: {}, [name]: value })).message).toMatch(
        new RegExp(`^options\\.${name} must be`),
      );
    });

    test('accepts the longest timer Node supports', () => {
      const config = resolveConfig({ env: {}, commandTimeout: 2 ** 31 - 1, connectTimeout: 2 ** 31 - 1 });
      expect(config.commandTimeout).toBe(2 ** 31 - 1);
      expect(config.connectTimeout).toBe(2 ** 31 - 1);
    });

    test('says what range a timeout must be in', () => {
      expect(configError(() => resolveConfig({ env: {}, commandTimeout: 0 })).message).toBe(
        'options.commandTimeout must be a finite number from 1 to 2147483647, got 0',
      );
    });

    test('rejects an unknown distribution', () => {
      expect(
        configError(() => resolveConfig({ env: {}, distribution: 'random' as ClientOptions['distribution'] }))
          .message,
      ).toBe("options.distribution must be 'ketama', 'ketama-unweighted' or 'modula', got random");
    });

    test('rejects an unknown hash', () => {
      expect(
        configError(() => resolveConfig({ env: {}, hash: 'crc' as ClientOptions['hash'] })).message,
      ).toBe("options.hash must be 'one-at-a-time' or 'md5', got crc");
    });
  });

  describe('hash', () => {
    test('is md5 under ketama and one-at-a-time under the others, as in libmemcached', () => {
      expect(resolveConfig({ env: {} }).hash).toBe('md5');
      expect(resolveConfig({ env: {}, distribution: 'ketama' }).hash).toBe('md5');
      expect(resolveConfig({ env: {}, distribution: 'ketama-unweighted' }).hash).toBe('one-at-a-time');
      expect(resolveConfig({ env: {}, distribution: 'modula' }).hash).toBe('one-at-a-time');
    });

    test('keeps the hash given, whatever the distribution', () => {
      expect(resolveConfig({ env: {}, distribution: 'ketama-unweighted', hash: 'md5' }).hash).toBe('md5');
      expect(resolveConfig({ env: {}, distribution: 'ketama', hash: 'one-at-a-time' }).hash).toBe(
        'one-at-a-time',
      );
    });
  });

  test('passes keyPrefix, keyFunction, hashLongKeys and codec through', () => {
    const keyFunction = (key: string): string => key;
    const config = resolveConfig({
      env: {},
      keyPrefix: 'p:',
      keyFunction,
      hashLongKeys: true,
      codec: rawCodec,
    });
    expect(config.keyPrefix).toBe('p:');
    expect(config.keyFunction).toBe(keyFunction);
    expect(config.hashLongKeys).toBe(true);
    expect(config.codec).toBe(rawCodec);
  });
});

describe('reply and queue bounds', () => {
  test('maxReplyValueSize defaults to 16 MiB, or maxValueSize when that is larger', () => {
    expect(resolveConfig({ env: {} }).maxReplyValueSize).toBe(16 * 1024 * 1024);
    expect(resolveConfig({ env: {}, maxValueSize: 64 * 1024 * 1024 }).maxReplyValueSize).toBe(
      64 * 1024 * 1024,
    );
    expect(resolveConfig({ env: {}, maxReplyValueSize: 4096 }).maxReplyValueSize).toBe(4096);
  });

  test('maxReplyValueSize above memcached ceiling of 1 GiB, or below 1, is a ConfigError', () => {
    expect(configError(() => resolveConfig({ env: {}, maxReplyValueSize: 2 ** 30 + 1 })).message).toMatch(
      /maxReplyValueSize/,
    );
    expect(configError(() => resolveConfig({ env: {}, maxReplyValueSize: 0 })).message).toMatch(
      /maxReplyValueSize/,
    );
  });

  test('maxPendingCommands defaults to 10000 and must be at least 1', () => {
    expect(resolveConfig({ env: {} }).maxPendingCommands).toBe(10_000);
    expect(configError(() => resolveConfig({ env: {}, maxPendingCommands: 0 })).message).toMatch(
      /maxPendingCommands/,
    );
  });
});

describe('poolSize', () => {
  const resolve = (options: ClientOptions) => resolveConfig({ env: false, ...options });

  test('one connection per server, however many servers, unless given', () => {
    expect(resolve({ servers: 'a:11211' }).poolSize).toBe(1);
    expect(resolve({ servers: 'a:11211,b:11211,c:11211' }).poolSize).toBe(1);
    expect(resolve({ servers: 'a:11211', poolSize: 2 }).poolSize).toBe(2);
  });
});
