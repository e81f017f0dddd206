import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import type { CacheClient } from '../../src/client.js';
import { resolveHttpCacheConfig, targetedFields } from '../../src/config.js';
import { appOrigin } from '../../src/node/app-origin.js';
import {
  cachingView,
  normalizeCacheControl,
  parseDirectives,
  validTargetedValue,
} from '../../src/rules/directives.js';
import { nameOf, originOf, resourceOf } from '../../src/rules/origin.js';

describe('parseDirectives', () => {
  test('lower-cases names, unquotes arguments, keeps commas inside quotes', () => {
    expect(parseDirectives('Private="X-Account, X-Id", MAX-AGE=60,, S-MaxAge = "5"')).toEqual([
      ['private', 'X-Account, X-Id'],
      ['max-age', '60'],
      ['s-maxage', '5'],
    ]);
  });
});

describe('normalizeCacheControl', () => {
  test('keeps the first of a repeated directive, and no directive hidden in an argument', () => {
    expect(normalizeCacheControl('Max-Age=0, max-age=600')).toBe('max-age=0');
    expect(normalizeCacheControl('community="x, s-maxage=600", max-age=0')).toBe(
      'community=x  s-maxage 600, max-age=0',
    );
  });
});

describe('validTargetedValue (RFC 9213 §2.1: a Structured Fields dictionary)', () => {
  test.each(['max-age=60', 'max-age=60, private', 'no-store', 'max-age=60;x=1', 'no-cache="set-cookie"'])(
    'takes %s',
    (value) => {
      expect(validTargetedValue(value)).toBe(value);
    },
  );
  test.each(['Max-Age=60', '', ' , ', 'max-age=60 private', 'max-age=="x"'])('ignores %o', (value) => {
    expect(validTargetedValue(value)).toBeUndefined();
  });
});

describe('cachingView', () => {
  test('the first valid targeted field replaces Cache-Control, Expires and Pragma', () => {
    const headers = {
      'cache-control': 'no-store',
      expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
      pragma: 'no-cache',
      'memwire-cache-control': 'Bad=1',
      'cdn-cache-control': 'max-age=60',
    };
    expect(cachingView(headers, ['memwire-cache-control', 'cdn-cache-control'])).toEqual({
      'cache-control': 'max-age=60',
      'memwire-cache-control': 'Bad=1',
      'cdn-cache-control': 'max-age=60',
    });
  });
});

describe('originOf', () => {
  test.each([
    [{ scheme: 'HTTP', host: 'Shop.Test:80' }, 'http://shop.test'],
    [{ scheme: 'https', host: 'shop.test:443' }, 'https://shop.test'],
    [{ scheme: 'https', host: 'shop.test:80' }, 'https://shop.test:80'],
    [{ scheme: 'http', host: 'shop.test:080' }, 'http://shop.test'],
    [{ scheme: 'http', host: '[::1]:3000' }, 'http://[::1]:3000'],
    [{ scheme: 'http', host: 'shop.test:' }, 'http://shop.test'],
    [{ host: 'shop.test' }, '//shop.test'],
  ])('%o is keyed as %s', (fields, origin) => {
    expect(originOf({ method: 'GET', url: '/', headers: {}, ...fields })).toBe(origin);
  });

  test('takes the Host header when no host is given', () => {
    expect(originOf({ method: 'GET', url: '/', headers: { host: 'A.test' }, scheme: 'http' })).toBe(
      'http://a.test',
    );
  });

  test.each(['a/b', 'a?b', 'a#b', 'u@a', 'a,b', 'a|b', 'a b', 'a:99999', 'a:123456'])(
    'refuses the host %s',
    (host) => {
      expect(originOf({ method: 'GET', url: '/', headers: {}, scheme: 'http', host })).toBeUndefined();
    },
  );

  test('refuses a scheme that is not one', () => {
    expect(originOf({ method: 'GET', url: '/', headers: {}, scheme: 'ht tp', host: 'a' })).toBeUndefined();
  });

  test('a resource is origin | name, and the name comes back whole', () => {
    const resource = resourceOf('https://a.test', '/p?');
    expect(resource).toBe('https://a.test|/p');
    expect(nameOf(resource)).toBe('/p');
    expect(nameOf(resourceOf('https://a.test', 'custom|key'))).toBe('custom|key');
  });
});

describe('the targeted field options', () => {
  const client = {} as CacheClient;

  test('default to Memwire-Cache-Control, then CDN-Cache-Control', () => {
    expect(targetedFields(resolveHttpCacheConfig(client))).toEqual([
      'memwire-cache-control',
      'cdn-cache-control',
    ]);
    expect(
      targetedFields(resolveHttpCacheConfig(client, { targetedCacheControl: false, cdnCacheControl: false })),
    ).toEqual([]);
  });

  test('refuse a field name that is not a token', () => {
    expect(() => resolveHttpCacheConfig(client, { targetedCacheControl: 'Bad Name' })).toThrow(
      expect.objectContaining({ code: 'ERR_MEMWIRE_CONFIG' }),
    );
  });
});

describe('appOrigin', () => {
  const node = (headers: Record<string, string>, encrypted = false) =>
    ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

  test('a plain Node request: the socket’s encryption and the Host header', () => {
    expect(appOrigin(undefined, node({ host: 'A.test:8080' }, true))).toEqual({
      scheme: 'https',
      host: 'A.test:8080',
    });
    expect(appOrigin(undefined, node({}))).toEqual({ scheme: 'http', host: undefined });
  });

  test('a framework’s hostname, with the port of the field that names it', () => {
    const request = node({ host: 'shop.test:8443', 'x-forwarded-host': 'shop.test:9999' });
    expect(appOrigin({ protocol: 'https', hostname: 'shop.test' }, request)).toEqual({
      scheme: 'https',
      host: 'shop.test:8443',
    });
    const proxied = node({ host: '127.0.0.1:3000', 'x-forwarded-host': 'evil.test:444, shop.test' });
    expect(appOrigin({ protocol: 'http', hostname: 'evil.test' }, proxied).host).toBe('evil.test:444');
    expect(appOrigin({ protocol: 'http', hostname: 'other.test' }, proxied).host).toBe('other.test');
  });

  test('a hostname that holds its port (Fastify 4) is taken as it is', () => {
    expect(appOrigin({ protocol: 'http', hostname: 'shop.test:81' }, node({ host: 'x' })).host).toBe(
      'shop.test:81',
    );
  });
});
