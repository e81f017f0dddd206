import { describe, expect, test } from 'vitest';
import { entityTags, isNotModified, notModifiedHeaders } from '../../src/rules/conditional.js';
import type { HeaderList } from '../../src/types.js';

const stored: HeaderList = [
  ['etag', 'W/"abc"'],
  ['last-modified', 'Wed, 21 Oct 2015 07:28:00 GMT'],
  ['content-type', 'text/plain'],
  ['cache-control', 'max-age=60'],
  ['vary', 'Accept-Language'],
];

describe('entityTags', () => {
  test('reads strong, weak and quoted tags holding commas', () => {
    expect(entityTags('"a", W/"b" ,"c,d"')).toEqual(['a', 'b', 'c,d']);
    expect(entityTags(' * ')).toBe('*');
  });
});

describe('isNotModified', () => {
  test('compares If-None-Match weakly', () => {
    expect(isNotModified({ 'if-none-match': '"abc"' }, stored)).toBe(true);
    expect(isNotModified({ 'if-none-match': 'W/"abc"' }, stored)).toBe(true);
    expect(isNotModified({ 'if-none-match': '"x", W/"abc"' }, stored)).toBe(true);
    expect(isNotModified({ 'if-none-match': '"abcd"' }, stored)).toBe(false);
    expect(isNotModified({ 'if-none-match': '*' }, stored)).toBe(true);
  });

  test('uses If-Modified-Since only without If-None-Match', () => {
    expect(isNotModified({ 'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT' }, stored)).toBe(true);
    expect(isNotModified({ 'if-modified-since': 'Wed, 21 Oct 2015 07:27:59 GMT' }, stored)).toBe(false);
    expect(
      isNotModified(
        { 'if-none-match': '"zzz"', 'if-modified-since': 'Wed, 21 Oct 2030 07:28:00 GMT' },
        stored,
      ),
    ).toBe(false);
  });

  test('is false without a validator to compare', () => {
    expect(isNotModified({ 'if-none-match': '"abc"' }, [['content-type', 'text/plain']])).toBe(false);
    expect(isNotModified({}, stored)).toBe(false);
  });
});

describe('notModifiedHeaders', () => {
  test('keeps only the fields a 304 carries', () => {
    expect(notModifiedHeaders(stored).map(([name]) => name)).toEqual(['etag', 'cache-control', 'vary']);
  });
});
