import { describe, expect, test } from 'vitest';
import {
  encodeArithmetic,
  encodeDelete,
  encodeFlushAll,
  encodeQuit,
  encodeRetrieval,
  encodeStats,
  encodeStorage,
  encodeTouch,
  encodeTouchRetrieval,
  encodeVerbosity,
  encodeVersion,
  joinedText,
  joinWires,
  MAX_JOINED_TEXT,
  type Wire,
  wireBytes,
} from '../../src/protocol/encoder.js';

const latin1 = (wire: Wire): string => wireBytes(wire).toString('latin1');

describe('encodeStorage', () => {
  test('lays out "<verb> <key> <flags> <exptime> <bytes>\\r\\n<data>\\r\\n"', () => {
    expect(latin1(encodeStorage('set', 'greeting', 0, 0, Buffer.from('hello')))).toBe(
      'set greeting 0 0 5\r\nhello\r\n',
    );
  });

  test.each(['set', 'add', 'replace', 'append', 'prepend'] as const)('writes the %s verb', (verb) => {
    expect(latin1(encodeStorage(verb, 'k', 16, 300, Buffer.from('v')))).toBe(`${verb} k 16 300 1\r\nv\r\n`);
  });

  test('appends the cas token for cas', () => {
    expect(latin1(encodeStorage('cas', 'k', 2, 60, Buffer.from('v'), '18446744073709551615'))).toBe(
      'cas k 2 60 1 18446744073709551615\r\nv\r\n',
    );
  });

  test('writes a negative exptime and the largest flags as given', () => {
    expect(latin1(encodeStorage('set', 'k', 4294967295, -1, Buffer.from('v')))).toBe(
      'set k 4294967295 -1 1\r\nv\r\n',
    );
  });

  test('copies data holding \\r\\n and NUL byte for byte, with its length in bytes', () => {
    const data = Buffer.from('a\r\n\0END\r\n', 'latin1');
    const out = encodeStorage('set', 'k', 1, 0, data);
    expect(out).toEqual(Buffer.concat([Buffer.from('set k 1 0 9\r\n'), data, Buffer.from('\r\n')]));
  });

  test('counts a string value in UTF-8 bytes, not characters', () => {
    expect(latin1(encodeStorage('set', 'k', 0, 0, '\u00e9\u{1f600}'))).toBe(
      'set k 0 0 6\r\n\xc3\xa9\xf0\x9f\x98\x80\r\n',
    );
  });

  test('writes an empty value as a zero-length block', () => {
    expect(latin1(encodeStorage('set', 'k', 0, 0, Buffer.alloc(0)))).toBe('set k 0 0 0\r\n\r\n');
  });

  test('sizes the header by the UTF-8 bytes of a non-ASCII key', () => {
    const out = encodeStorage('set', 'caf\u00e9\u{1f600}', 0, 0, Buffer.from('xy'));
    expect(out).toEqual(Buffer.from('set caf\u00e9\u{1f600} 0 0 2\r\nxy\r\n', 'utf8'));
  });

  test('reads a Uint8Array view at its own offset, not from the start of its buffer', () => {
    const backing = new Uint8Array([0x41, 0x42, 0x43, 0x44, 0x45]);
    const view = backing.subarray(1, 3);
    expect(latin1(encodeStorage('set', 'k', 0, 0, view))).toBe('set k 0 0 2\r\nBC\r\n');
  });

  test('keeps what it encoded when the caller later changes the value buffer', () => {
    const data = Buffer.from('abc');
    const out = encodeStorage('set', 'k', 0, 0, data);
    data.fill(0x7a);
    expect(latin1(out)).toBe('set k 0 0 3\r\nabc\r\n');
  });
});

describe('encodeRetrieval', () => {
  test('writes one key', () => {
    expect(latin1(encodeRetrieval('get', ['a']))).toBe('get a\r\n');
  });

  test('writes several keys separated by single spaces', () => {
    expect(latin1(encodeRetrieval('gets', ['a', 'b', 'c']))).toBe('gets a b c\r\n');
  });
});

describe('encodeTouchRetrieval', () => {
  test('puts the exptime before the keys', () => {
    expect(latin1(encodeTouchRetrieval('gat', 100, ['a', 'b']))).toBe('gat 100 a b\r\n');
    expect(latin1(encodeTouchRetrieval('gats', 0, ['a']))).toBe('gats 0 a\r\n');
  });
});

describe('the one-line commands', () => {
  test('encodes delete', () => {
    expect(latin1(encodeDelete('k'))).toBe('delete k\r\n');
  });

  test('encodes incr and decr with a delta beyond 2^53 as exact decimal text', () => {
    expect(latin1(encodeArithmetic('incr', 'n', '18446744073709551615'))).toBe(
      'incr n 18446744073709551615\r\n',
    );
    expect(latin1(encodeArithmetic('decr', 'n', '1'))).toBe('decr n 1\r\n');
  });

  test('encodes touch', () => {
    expect(latin1(encodeTouch('k', 10))).toBe('touch k 10\r\n');
  });

  test('encodes flush_all with and without a delay', () => {
    expect(latin1(encodeFlushAll())).toBe('flush_all\r\n');
    expect(latin1(encodeFlushAll(0))).toBe('flush_all 0\r\n');
    expect(latin1(encodeFlushAll(30))).toBe('flush_all 30\r\n');
  });

  test('encodes stats with and without a group', () => {
    expect(latin1(encodeStats())).toBe('stats\r\n');
    expect(latin1(encodeStats('slabs'))).toBe('stats slabs\r\n');
  });

  test('encodes version, verbosity and quit', () => {
    expect(latin1(encodeVersion())).toBe('version\r\n');
    expect(latin1(encodeVerbosity(1))).toBe('verbosity 1\r\n');
    expect(latin1(encodeQuit())).toBe('quit\r\n');
  });
});

describe('joining text for one write', () => {
  test('is one string while the sum fits', () => {
    expect(joinedText(['get a\r\n', 'get b\r\n'])).toEqual(['get a\r\nget b\r\n']);
    expect(joinedText(['abc', 'de'], 5)).toEqual(['abcde']);
  });

  test('past the limit, several strings in order, none longer than it unless one chunk is', () => {
    const chunks = ['aa', 'bbb', 'c', 'dddddddd', 'ee', 'f'];
    const joined = joinedText(chunks, 4);
    expect(joined).toEqual(['aa', 'bbbc', 'dddddddd', 'eef']);
    expect(joined.join('')).toBe(chunks.join(''));
  });

  test('joinWires gives one Buffer, byte for byte, when the text would pass MAX_JOINED_TEXT', () => {
    const half = 'é'.repeat(MAX_JOINED_TEXT / 2 + 1);
    const joined = joinWires([half, 'get k\r\n', half]);
    expect(Buffer.isBuffer(joined)).toBe(true);
    expect((joined as Buffer).equals(Buffer.from(`${half}get k\r\n${half}`, 'utf8'))).toBe(true);
    expect(typeof joinWires(['get a\r\n', 'get b\r\n'])).toBe('string');
  });
});
