import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { normalizeResource, normalizeUrl, sameOriginTarget } from '../../src/http/url.js';

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
  test('takes relative references and absolute URLs of the request host only', () => {
    expect(sameOriginTarget('/items/2', 'api.test')).toBe('/items/2');
    expect(sameOriginTarget('items/2', 'api.test')).toBe('/items/2');
    expect(sameOriginTarget('http://api.test/items/2?x', 'api.test')).toBe('/items/2?x');
    expect(sameOriginTarget('http://evil.test/items/2', 'api.test')).toBeUndefined();
  });
});
