import { describe, expect, test } from 'vitest';
import { djangoKeyFunction } from '../src/key-functions.js';

describe('djangoKeyFunction', () => {
  test('makes Django\'s default ":1:key" with no options', () => {
    expect(djangoKeyFunction()('greeting')).toBe(':1:greeting');
  });

  test('makes "prefix:version:key" as Django\'s make_key does', () => {
    expect(djangoKeyFunction({ prefix: 'shop', version: 3 })('greeting')).toBe('shop:3:greeting');
  });

  test('accepts a string version', () => {
    expect(djangoKeyFunction({ version: 'v2' })('k')).toBe(':v2:k');
  });
});
