import { describe, expect, test } from 'vitest';
import { varyDigest, varyFields } from '../../src/rules/vary.js';

describe('varyFields', () => {
  test('lower-cases, sorts and dedupes; * wins', () => {
    expect(varyFields('Accept-Language, accept-encoding,ACCEPT-LANGUAGE')).toEqual([
      'accept-encoding',
      'accept-language',
    ]);
    expect(varyFields('Accept, *')).toBe('*');
    expect(varyFields(undefined)).toEqual([]);
  });
});

describe('varyDigest', () => {
  test('differs by value, tells absent from empty, ignores list whitespace', () => {
    const fields = ['accept-language'];
    expect(varyDigest(fields, { 'accept-language': 'en' })).not.toBe(
      varyDigest(fields, { 'accept-language': 'fr' }),
    );
    expect(varyDigest(fields, {})).not.toBe(varyDigest(fields, { 'accept-language': '' }));
    expect(varyDigest(fields, { 'accept-language': 'en, fr' })).toBe(
      varyDigest(fields, { 'accept-language': 'en,fr' }),
    );
  });

  test('never contains the value itself', () => {
    const digest = varyDigest(['cookie'], { cookie: 'session=secret' });
    expect(digest).not.toContain('secret');
    expect(digest).toHaveLength(22);
  });
});
