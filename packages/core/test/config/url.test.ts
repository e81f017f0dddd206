import { describe, expect, test } from 'vitest';
import { isMemcacheUrl, parseMemcacheUrl } from '../../src/config/url.js';
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

describe('isMemcacheUrl', () => {
  test('recognises memcache:// and memcaches:// in any case, with surrounding spaces', () => {
    expect(isMemcacheUrl('memcache://a')).toBe(true);
    expect(isMemcacheUrl('memcaches://a')).toBe(true);
    expect(isMemcacheUrl('  MEMCACHE://a')).toBe(true);
  });

  test('does not take a server list or another scheme for a URL', () => {
    expect(isMemcacheUrl('a:11211,b:11211')).toBe(false);
    expect(isMemcacheUrl('redis://a')).toBe(false);
    expect(isMemcacheUrl('memcached://a')).toBe(false);
  });
});

describe('parseMemcacheUrl', () => {
  test('reads one host without credentials', () => {
    expect(parseMemcacheUrl('memcache://cache.example.com:11212', 'test')).toEqual({
      servers: [{ host: 'cache.example.com', port: 11212, weight: 1 }],
      username: undefined,
      password: undefined,
      tls: false,
    });
  });

  test('reads user and password', () => {
    const url = parseMemcacheUrl('memcache://alice:s3cret@a:11211', 'test');
    expect(url.username).toBe('alice');
    expect(url.password).toBe('s3cret');
  });

  test('percent-decodes user and password', () => {
    const url = parseMemcacheUrl('memcache://al%40ice:p%3Ass%2Fw%40rd%20x@a', 'test');
    expect(url.username).toBe('al@ice');
    expect(url.password).toBe('p:ss/w@rd x');
  });

  test('keeps everything after the first colon as the password', () => {
    expect(parseMemcacheUrl('memcache://alice:a:b:c@a', 'test').password).toBe('a:b:c');
  });

  test('reads a user without a password', () => {
    const url = parseMemcacheUrl('memcache://alice@a', 'test');
    expect(url.username).toBe('alice');
    expect(url.password).toBeUndefined();
  });

  test('reads several hosts, comma separated, with ports and weights', () => {
    expect(parseMemcacheUrl('memcache://u:p@a:1,b:2:3,[::1]', 'test').servers).toEqual([
      { host: 'a', port: 1, weight: 1 },
      { host: 'b', port: 2, weight: 3 },
      { host: '::1', port: 11211, weight: 1 },
    ]);
  });

  test('turns TLS on for memcaches://', () => {
    expect(parseMemcacheUrl('memcaches://a', 'test').tls).toBe(true);
    expect(parseMemcacheUrl('MEMCACHES://a', 'test').tls).toBe(true);
    expect(parseMemcacheUrl('memcache://a', 'test').tls).toBe(false);
  });

  test('ignores a trailing slash or path', () => {
    expect(parseMemcacheUrl('memcache://a:1/', 'test').servers).toEqual([{ host: 'a', port: 1, weight: 1 }]);
  });

  test('reads an "@" in the password as part of it, as WHATWG URLs do', () => {
    const url = parseMemcacheUrl('memcache://alice:TOP@SECRET@a:11211', 'test');
    expect(url.password).toBe('TOP@SECRET');
    expect(url.servers).toEqual([{ host: 'a', port: 11211, weight: 1 }]);
  });

  test('rejects something that is not a memcache URL, naming the source', () => {
    expect(configError(() => parseMemcacheUrl('http://a', 'options.url')).message).toBe(
      'options.url: not a memcache:// or memcaches:// URL',
    );
  });

  test('asks for a "/" in the credentials to be percent-encoded', () => {
    expect(configError(() => parseMemcacheUrl('memcache://u:a/b@host', 'options.url')).message).toBe(
      'options.url: a "/" in the URL\'s user or password must be percent-encoded as %2F',
    );
  });

  test('rejects a URL without a host', () => {
    expect(configError(() => parseMemcacheUrl('memcache://u:p@', 'options.url')).message).toBe(
      'options.url: the URL names no host',
    );
  });

  describe('errors never contain the password', () => {
    test.each([
      ['a bad port', 'memcache://alice:TOPSECRET@a:notaport', 'a:notaport'],
      ['a missing host', 'memcache://alice:TOPSECRET@:11211', '":11211"'],
      ['a bad percent-escape', 'memcache://alice:TOP%zzSECRET@a', undefined],
      ['an unescaped "/" in the password', 'memcache://alice:TOP/SECRET@a', undefined],
      ['an unescaped "/" and "@" in the password', 'memcache://alice:TOP@SEC/RET@a', undefined],
    ])('for %s', (_, text, entry) => {
      const error = configError(() => parseMemcacheUrl(text, 'MEMCACHIER_SERVERS'));
      expect(error.message).toMatch(/^MEMCACHIER_SERVERS: /);
      if (entry !== undefined) expect(error.message).toContain(entry);
      for (const fragment of ['TOP', 'SECRET', 'SEC', 'RET', 'zz']) {
        expect(error.message).not.toContain(fragment);
      }
    });
  });
});
