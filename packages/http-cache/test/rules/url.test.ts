import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { normalizeResource, normalizeUrl, sameOriginTarget } from '../../src/rules/url.js';

describe('normalizeUrl', () => {
  test.each([
    ['/a/b?x=1', '/a/b?x=1'],
    ['/a?', '/a'],
    ['/a??', '/a??'],
    ['/a#frag', '/a'],
    ['/a?b=2&a=1', '/a?b=2&a=1'],
    ['http://example.com/p?q', '/p?q'],
    ['http://example.com', '/'],
    ['http://example.com?q', '/?q'],
  ])('%s becomes %s', (input, output) => {
    expect(normalizeUrl(input)).toBe(output);
  });

  // Each of these is routed by Express as written: folding it into another URL's key would let its
  // answer (often a 404) be served for that URL.
  test.each(['/a/../b', '/a/./b', '//evil.test/b', '/\\evil.test/b', '/a%2Fb', '/a%41'])(
    'leaves %s as the application sees it',
    (target) => {
      expect(normalizeUrl(target)).toBe(target);
    },
  );

  test('is idempotent', () => {
    const target = fc
      .array(fc.constantFrom('a', '/', '.', '..', '?', '&', '=', '%41', '#', '\\', 'http://h'), {
        maxLength: 12,
      })
      .map((parts) => parts.join(''));
    fc.assert(fc.property(target, (t) => normalizeUrl(normalizeUrl(t)) === normalizeUrl(t)));
  });
});

describe('normalizeResource', () => {
  test('normalises paths and absolute URLs, keeps custom keys as they are', () => {
    expect(normalizeResource('/a?')).toBe('/a');
    expect(normalizeResource('https://x.test/a?b')).toBe('/a?b');
    expect(normalizeResource('product:1 en')).toBe('product:1 en');
  });
});

describe('sameOriginTarget', () => {
  test('takes relative references and absolute URLs of the request origin only', () => {
    const origin = 'http://api.test';
    expect(sameOriginTarget('/items/2', '/items', origin)).toBe('/items/2');
    expect(sameOriginTarget('http://api.test/items/2?x', '/items', origin)).toBe('/items/2?x');
    expect(sameOriginTarget('http://api.test:80/items/2', '/items', origin)).toBe('/items/2');
    expect(sameOriginTarget('http://evil.test/items/2', '/items', origin)).toBeUndefined();
    expect(sameOriginTarget('//evil.test/items/2', '/items', origin)).toBeUndefined();
    expect(sameOriginTarget('https://api.test/items/2', '/items', origin)).toBeUndefined();
    expect(sameOriginTarget('http://api.test:8080/items/2', '/items', origin)).toBeUndefined();
  });

  test('resolves a relative reference against the request target (RFC 3986 §5.2)', () => {
    expect(sameOriginTarget('2', '/shop/items/1', 'https://api.test')).toBe('/shop/items/2');
    expect(sameOriginTarget('../x', '/shop/items/1', 'https://api.test')).toBe('/shop/x');
  });

  test('with no scheme known, compares the host only', () => {
    expect(sameOriginTarget('https://api.test/a', '/', '//api.test')).toBe('/a');
    expect(sameOriginTarget('https://evil.test/a', '/', '//api.test')).toBeUndefined();
  });
});
