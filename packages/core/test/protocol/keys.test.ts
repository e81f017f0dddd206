import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { InvalidKeyError } from '../../src/errors.js';
import { createKeyMapper, keyProblem, MAX_KEY_BYTES } from '../../src/protocol/keys.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');

function thrown(fn: () => unknown): InvalidKeyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect((error as InvalidKeyError).code).toBe('ERR_MEMWIRE_INVALID_KEY');
    return error as InvalidKeyError;
  }
  throw new Error('expected an InvalidKeyError, but nothing was thrown');
}

describe('keyProblem', () => {
  test('accepts ordinary keys', () => {
    expect(keyProblem('user:1')).toBeUndefined();
    expect(keyProblem('shop:3:greeting')).toBeUndefined();
    expect(keyProblem('!#$%&()*+-./;<=>?@[]^_`{|}~')).toBeUndefined();
  });

  test('accepts non-ASCII letters and a proper surrogate pair', () => {
    expect(keyProblem('caf\u00e9')).toBeUndefined();
    expect(keyProblem('\u65e5\u672c')).toBeUndefined();
    expect(keyProblem('\u{1f600}')).toBeUndefined();
  });

  test('rejects an empty key', () => {
    expect(keyProblem('')).toBe('is empty');
  });

  test('rejects a space, naming it and where it is', () => {
    expect(keyProblem('a b')).toBe('contains a space at index 1');
  });

  test('rejects a \\r\\n command injection', () => {
    expect(keyProblem('a\r\nflush_all')).toBe('contains a carriage return at index 1');
    expect(keyProblem('a\nflush_all')).toBe('contains a line feed at index 1');
  });

  test.each([
    ['NUL', '\u0000', 'U+0000'],
    ['tab', '\t', 'U+0009'],
    ['unit separator', '\u001f', 'U+001F'],
    ['DEL', '\u007f', 'U+007F'],
  ])('rejects the control character %s', (_, char, named) => {
    expect(keyProblem(`ab${char}cd`)).toBe(`contains character ${named} at index 2`);
  });

  test.each([
    ['a C1 control (NEL)', '\u0085', 'U+0085'],
    ['a no-break space', '\u00a0', 'U+00A0'],
    ['an ideographic space', '\u3000', 'U+3000'],
    ['a line separator', '\u2028', 'U+2028'],
  ])('rejects %s beyond ASCII', (_, char, named) => {
    expect(keyProblem(`\u00e9${char}`)).toBe(`contains character ${named} at index 1`);
  });

  test.each([
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', 'a\udc00b'],
    ['a pair in the wrong order', '\udc00\ud800'],
    ['a high surrogate at the end', 'abc\ud83d'],
  ])('rejects %s', (_, key) => {
    expect(keyProblem(key)).toBe('contains a lone UTF-16 surrogate');
  });

  test('accepts 250 bytes and rejects 251', () => {
    expect(MAX_KEY_BYTES).toBe(250);
    expect(keyProblem('a'.repeat(250))).toBeUndefined();
    expect(keyProblem('a'.repeat(251))).toBe('is 251 bytes long; memcached allows at most 250');
  });

  test('counts UTF-8 bytes, not characters', () => {
    // é is 2 bytes: 125 of them are 250 bytes, 126 are 252.
    expect(keyProblem('\u00e9'.repeat(125))).toBeUndefined();
    expect(keyProblem('\u00e9'.repeat(126))).toBe('is 252 bytes long; memcached allows at most 250');
    // 250 characters but 251 bytes.
    expect(keyProblem(`${'a'.repeat(249)}\u00e9`)).toMatch(/^is 251 bytes long/);
    // An emoji is 2 UTF-16 units and 4 bytes.
    expect(keyProblem(`${'a'.repeat(246)}\u{1f600}`)).toBeUndefined();
    expect(keyProblem(`${'a'.repeat(247)}\u{1f600}`)).toMatch(/^is 251 bytes long/);
  });
});

describe('createKeyMapper', () => {
  const plain = createKeyMapper({ keyPrefix: '', keyFunction: undefined, hashLongKeys: false });

  test('sends a valid key unchanged', () => {
    expect(plain('user:1')).toBe('user:1');
  });

  test('rejects an injection attempt with InvalidKeyError, showing the key escaped', () => {
    const error = thrown(() => plain('a\r\nflush_all'));
    expect(error.message).toBe('invalid key "a\\r\\nflush_all": it contains a carriage return at index 1');
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  test('shortens a long key in the error message', () => {
    const error = thrown(() => plain('k'.repeat(300)));
    expect(error.message).toContain(`"${'k'.repeat(60)}…"`);
    expect(error.message).not.toContain('k'.repeat(61));
  });

  test.each([
    ['a number', 42, 'number'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an object', { toString: () => 'k' }, 'object'],
  ])('rejects %s as a key', (_, key, named) => {
    expect(thrown(() => plain(key as unknown as string)).message).toBe(`key must be a string, got ${named}`);
  });

  test('applies keyFunction first, then keyPrefix', () => {
    const map = createKeyMapper({ keyPrefix: 'app:', keyFunction: (k) => `fn(${k})`, hashLongKeys: false });
    expect(map('k')).toBe('app:fn(k)');
  });

  test('checks the key as sent, prefix and keyFunction output included', () => {
    expect(
      thrown(() =>
        createKeyMapper({ keyPrefix: 'my app:', keyFunction: undefined, hashLongKeys: false })('k'),
      ).message,
    ).toContain('contains a space at index 2');
    const spacey = createKeyMapper({ keyPrefix: '', keyFunction: (k) => `${k} x`, hashLongKeys: false });
    expect(thrown(() => spacey('k')).message).toContain('contains a space');
    const long = createKeyMapper({ keyPrefix: 'p'.repeat(10), keyFunction: undefined, hashLongKeys: false });
    expect(long('k'.repeat(240))).toBe('p'.repeat(10) + 'k'.repeat(240));
    expect(thrown(() => long('k'.repeat(241))).message).toContain('is 251 bytes long');
  });

  test('rejects an empty key', () => {
    expect(thrown(() => plain('')).message).toContain('it is empty');
  });

  describe('with hashLongKeys', () => {
    const hashing = createKeyMapper({ keyPrefix: 'app:', keyFunction: undefined, hashLongKeys: true });

    test('leaves a key of 250 bytes as it is', () => {
      const key = 'k'.repeat(246);
      expect(hashing(key)).toBe(`app:${key}`);
    });

    test('replaces a longer key by prefix + "sha256:" + base64url(sha256(prefixed key))', () => {
      const key = 'k'.repeat(247);
      expect(hashing(key)).toBe(`app:sha256:${sha256(`app:${key}`)}`);
    });

    test('gives the same short form every time, and different forms for different keys', () => {
      const a = `${'x'.repeat(300)}a`;
      const b = `${'x'.repeat(300)}b`;
      expect(hashing(a)).toBe(hashing(a));
      expect(hashing(a)).not.toBe(hashing(b));
      expect(keyProblem(hashing(a))).toBeUndefined();
      expect(Buffer.byteLength(hashing(a))).toBe('app:'.length + 'sha256:'.length + 43);
    });

    test('hashes a long key of multibyte characters', () => {
      const key = '\u20ac'.repeat(200); // 600 bytes
      expect(hashing(key)).toBe(`app:sha256:${sha256(`app:${key}`)}`);
    });

    test('hashes a long key whose 250th character is half of a surrogate pair', () => {
      const key = `${'a'.repeat(245)}${'\u{1f600}'.repeat(10)}`;
      expect(hashing(key)).toBe(`app:sha256:${sha256(`app:${key}`)}`);
    });

    test('still rejects whitespace and control characters in a short key', () => {
      expect(thrown(() => hashing('a b')).message).toContain('contains a space');
      expect(thrown(() => hashing('a\r\nflush_all')).message).toContain('carriage return');
    });

    test('still rejects whitespace in a long key, wherever it is', () => {
      expect(thrown(() => hashing(`a ${'k'.repeat(300)}`)).message).toContain('contains a space');
      expect(thrown(() => hashing(`${'k'.repeat(300)} flush_all`)).message).toContain('contains a space');
      expect(thrown(() => hashing(`${'k'.repeat(300)}\r\n`)).message).toContain('carriage return');
    });

    test('still rejects a lone surrogate in a long key', () => {
      expect(thrown(() => hashing(`${'k'.repeat(300)}\ud800`)).message).toContain('lone UTF-16 surrogate');
    });

    test('still rejects an empty key', () => {
      expect(
        thrown(() => createKeyMapper({ keyPrefix: '', keyFunction: undefined, hashLongKeys: true })(''))
          .message,
      ).toContain('is empty');
    });
  });
});
