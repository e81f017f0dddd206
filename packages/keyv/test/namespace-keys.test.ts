import { describe, expect, test } from 'vitest';
import { namespaceKeys } from '../src/index.js';

describe('namespaceKeys', () => {
  test('data keys are the namespace, the generation in base 36, then the key', () => {
    expect(namespaceKeys('app').data(1_700_000_000_000_000, 'user:1')).toBe('app:gqll7vatq8:user:1');
  });

  test('the generation counter and reserved keys start their second segment with _', () => {
    expect(namespaceKeys('app').generation).toBe('app:_gen');
    expect(namespaceKeys('app').reserved('lock', 'k')).toBe('app:_lock:k');
  });

  test("':' and '%' in a namespace are escaped, so the first ':' always ends it", () => {
    expect(namespaceKeys('a:b').prefix).toBe('a%3Ab');
    expect(namespaceKeys('a%3Ab').prefix).toBe('a%253Ab');
    expect(namespaceKeys('a').data(1, 'b:c')).not.toBe(namespaceKeys('a:b').data(1, 'c'));
  });

  test('no namespace leaves the first segment empty', () => {
    expect(namespaceKeys(undefined).data(35, 'k')).toBe(':z:k');
    expect(namespaceKeys(undefined).generation).toBe(':_gen');
  });

  test('a reserved kind must be letters, so it cannot reach into another segment', () => {
    expect(() => namespaceKeys('app').reserved('lo:ck', 'k')).toThrow(TypeError);
  });

  test('no two (namespace, key) pairs share a data key', () => {
    const namespaces = ['', 'a', 'a:b', 'a%3Ab', 'a:1', '_gen', 'a:_gen'];
    const keys = ['', 'b', 'b:c', '1:b', '_gen', ':'];
    const seen = new Map<string, string>();
    for (const namespace of namespaces) {
      const layout = namespaceKeys(namespace);
      for (const generation of [1, 36]) {
        for (const key of keys) {
          const wire = layout.data(generation, key);
          const who = JSON.stringify([namespace, generation, key]);
          expect(seen.get(wire) ?? who).toBe(who);
          seen.set(wire, who);
        }
      }
      expect(seen.has(layout.generation)).toBe(false);
      seen.set(layout.generation, `${namespace} counter`);
    }
  });
});
