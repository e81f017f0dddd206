import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PORT,
  formatAddress,
  normalizeServer,
  parseServerList,
} from '../../src/config/server-address.js';
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

describe('parseServerList', () => {
  test('reads one host:port', () => {
    expect(parseServerList('cache.example.com:11212', 'test')).toEqual([
      { host: 'cache.example.com', port: 11212, weight: 1 },
    ]);
  });

  test('treats a bare host as port 11211', () => {
    expect(DEFAULT_PORT).toBe(11211);
    expect(parseServerList('cache.example.com', 'test')).toEqual([
      { host: 'cache.example.com', port: 11211, weight: 1 },
    ]);
  });

  test('splits on commas, spaces and both, ignoring empty entries', () => {
    const expected = [
      { host: 'a', port: 1, weight: 1 },
      { host: 'b', port: 2, weight: 1 },
      { host: 'c', port: 11211, weight: 1 },
    ];
    expect(parseServerList('a:1,b:2,c', 'test')).toEqual(expected);
    expect(parseServerList('a:1 b:2 c', 'test')).toEqual(expected);
    expect(parseServerList(' a:1 , b:2,,c ', 'test')).toEqual(expected);
    expect(parseServerList('a:1\tb:2\nc', 'test')).toEqual(expected);
  });

  test('keeps the order of the list', () => {
    expect(parseServerList('z,a,m', 'test').map((s) => s.host)).toEqual(['z', 'a', 'm']);
  });

  test('reads a bracketed IPv6 address, with and without a port', () => {
    expect(parseServerList('[::1]:11212', 'test')).toEqual([{ host: '::1', port: 11212, weight: 1 }]);
    expect(parseServerList('[fe80::1]', 'test')).toEqual([{ host: 'fe80::1', port: 11211, weight: 1 }]);
    expect(parseServerList('[::1]:11211:3', 'test')).toEqual([{ host: '::1', port: 11211, weight: 3 }]);
  });

  test('reads a weight after the port', () => {
    expect(parseServerList('a:11211:3,b:11211:1', 'test')).toEqual([
      { host: 'a', port: 11211, weight: 3 },
      { host: 'b', port: 11211, weight: 1 },
    ]);
  });

  test('treats weight 0 as 1, as libmemcached does', () => {
    expect(parseServerList('a:11211:0', 'test')).toEqual([{ host: 'a', port: 11211, weight: 1 }]);
  });

  test('accepts ports 1 and 65535', () => {
    expect(parseServerList('a:1,b:65535', 'test').map((s) => s.port)).toEqual([1, 65535]);
  });

  test.each([
    ['port 0', 'a:0', 'port must be a whole number from 1 to 65535'],
    ['port 65536', 'a:65536', 'port must be a whole number from 1 to 65535'],
    ['a non-numeric port', 'a:abc', 'port must be a whole number from 1 to 65535'],
    ['an empty port', 'a:', 'port must be a whole number from 1 to 65535'],
    ['a negative port', 'a:-1', 'port must be a whole number from 1 to 65535'],
    ['a fractional port', 'a:11211.5', 'port must be a whole number from 1 to 65535'],
    ['a non-numeric weight', 'a:11211:x', 'weight must be a whole number from 0 to 4294967295'],
    ['a negative weight', 'a:11211:-2', 'weight must be a whole number from 0 to 4294967295'],
    ['a weight over uint32', 'a:11211:4294967296', 'weight must be a whole number from 0 to 4294967295'],
    [
      'a 400-digit weight',
      `a:11211:${'9'.repeat(400)}`,
      'weight must be a whole number from 0 to 4294967295',
    ],
    ['a missing host', ':11211', 'missing host'],
    ['a host with a slash', 'a/b:11211', 'host contains an invalid character'],
    [
      'an unbracketed IPv6 address',
      'fe80::1:11211',
      'IPv6 addresses must be written in brackets, as [::1]:11211',
    ],
    ['an unclosed bracket', '[::1:11211', 'unclosed "[" in IPv6 address'],
    ['text after the bracket', '[::1]x', 'expected ":port" after "]"'],
    ['an empty bracket', '[]:11211', 'missing host'],
  ])('rejects %s, naming the source and the entry', (_, entry, why) => {
    const error = configError(() => parseServerList(`good:11211,${entry}`, 'MEMCACHE_SERVERS'));
    expect(error.message).toBe(`MEMCACHE_SERVERS: bad server entry ${JSON.stringify(entry)}: ${why}`);
  });

  test('refuses an entry with credentials: it returns addresses only', () => {
    expect(configError(() => parseServerList('user@a:11211', 'MEMCACHE_SERVERS')).message).toBe(
      'MEMCACHE_SERVERS: credentials are not accepted in this server list',
    );
  });

  test('keeps the largest uint32 weight, as libmemcached does', () => {
    expect(parseServerList('a:11211:4294967295', 'test')[0]?.weight).toBe(4294967295);
  });

  test('rejects a list with no servers', () => {
    expect(configError(() => parseServerList(' , ', 'options.servers')).message).toBe(
      'options.servers: no servers given',
    );
    expect(configError(() => parseServerList('', 'options.servers')).message).toBe(
      'options.servers: no servers given',
    );
  });
});

describe('normalizeServer', () => {
  test('fills in port 11211 and weight 1', () => {
    expect(normalizeServer({ host: 'a' }, 'test')).toEqual({ host: 'a', port: 11211, weight: 1 });
  });

  test('keeps a given port and weight, and turns weight 0 into 1', () => {
    expect(normalizeServer({ host: 'a', port: 2, weight: 5 }, 'test')).toEqual({
      host: 'a',
      port: 2,
      weight: 5,
    });
    expect(normalizeServer({ host: 'a', weight: 0 }, 'test').weight).toBe(1);
  });

  test.each([
    ['an empty host', { host: '' }, 'bad server host ""'],
    ['a host with a space', { host: 'a b' }, 'bad server host "a b"'],
    ['port 0', { host: 'a', port: 0 }, 'bad port 0 for a'],
    ['a fractional port', { host: 'a', port: 1.5 }, 'bad port 1.5 for a'],
    [
      'a negative weight',
      { host: 'a', weight: -1 },
      'bad weight -1 for a: use a whole number from 0 to 4294967295',
    ],
    [
      'a fractional weight',
      { host: 'a', weight: 0.5 },
      'bad weight 0.5 for a: use a whole number from 0 to 4294967295',
    ],
    [
      'a weight of 1e300',
      { host: 'a', weight: 1e300 },
      'bad weight 1e+300 for a: use a whole number from 0 to 4294967295',
    ],
    [
      'an infinite weight',
      { host: 'a', weight: Number.POSITIVE_INFINITY },
      'bad weight Infinity for a: use a whole number from 0 to 4294967295',
    ],
  ])('rejects %s, naming the source', (_, input, why) => {
    expect(configError(() => normalizeServer(input, 'options.servers[2]')).message).toBe(
      `options.servers[2]: ${why}`,
    );
  });
});

describe('formatAddress', () => {
  test('writes host:port', () => {
    expect(formatAddress({ host: 'a', port: 11211 })).toBe('a:11211');
  });

  test('brackets an IPv6 host', () => {
    expect(formatAddress({ host: '::1', port: 11211 })).toBe('[::1]:11211');
  });
});
