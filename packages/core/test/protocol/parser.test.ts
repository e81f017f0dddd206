import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { ReplyParser, type ReplyParserOptions } from '../../src/protocol/parser.js';

// Every case is fed as one chunk, byte by byte, and at random split points, and must give the same
// items each way (node-redis's decoder-test discipline): a parser that only works when the network
// happens to deliver whole replies is the bug this file exists to catch.

type Item =
  | { kind: 'line'; line: string }
  | { kind: 'value'; key: string; flags: number; data: string; cas: string | undefined }
  | { kind: 'meta'; flags: string; data: string };

interface Reply {
  bytes: Buffer;
  item: Item;
}

const CRLF = Buffer.from('\r\n');

function line(text: string): Reply {
  return { bytes: Buffer.from(`${text}\r\n`, 'latin1'), item: { kind: 'line', line: text } };
}

function value(key: string, flags: number, data: Uint8Array, cas?: string): Reply {
  const header = `VALUE ${key} ${flags} ${data.length}${cas === undefined ? '' : ` ${cas}`}\r\n`;
  return {
    bytes: Buffer.concat([Buffer.from(header, 'utf8'), data, CRLF]),
    item: { kind: 'value', key, flags, data: Buffer.from(data).toString('hex'), cas },
  };
}

/** A meta `VA <bytes> <flags>` reply. */
function metaValue(flags: string, data: Uint8Array): Reply {
  const header = `VA ${data.length}${flags === '' ? '' : ` ${flags}`}\r\n`;
  return {
    bytes: Buffer.concat([Buffer.from(header, 'latin1'), data, CRLF]),
    item: { kind: 'meta', flags, data: Buffer.from(data).toString('hex') },
  };
}

/** Splits `bytes` at the given offsets (any order, duplicates and out-of-range ones ignored). */
function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  return chunks;
}

/** A small seeded PRNG (mulberry32), so a failing random split can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSplits(bytes: Buffer, seed: number): Buffer[] {
  const random = seeded(seed);
  const count = Math.floor(random() * Math.min(bytes.length, 12));
  return splitAt(
    bytes,
    Array.from({ length: count }, () => Math.floor(random() * bytes.length)),
  );
}

/** The three ways every case is fed. */
function feedings(bytes: Buffer): [string, Buffer[]][] {
  return [
    ['as one chunk', [bytes]],
    ['byte by byte', splitAt(bytes, Array.from(bytes.keys()))],
    ...[1, 2, 3, 4, 5].map((seed): [string, Buffer[]] => [
      `at random split points (seed ${seed})`,
      randomSplits(bytes, seed),
    ]),
  ];
}

/**
 * Feeds `chunks` and returns the items. Value data is kept as the view the parser handed out and
 * read only at the end, so a parser that reused or overwrote a buffer it had already handed out fails.
 */
function parse(chunks: readonly Buffer[], options?: ReplyParserOptions): Item[] {
  const raw: (
    | Item
    | { kind: 'raw'; key: string; flags: number; data: Buffer; cas: string | undefined }
    | { kind: 'raw-meta'; flags: string; data: Buffer }
  )[] = [];
  const parser = new ReplyParser(
    {
      onLine: (text) => raw.push({ kind: 'line', line: text }),
      onValue: (key, flags, data, cas) => raw.push({ kind: 'raw', key, flags, data, cas }),
      onMetaValue: (flags, data) => raw.push({ kind: 'raw-meta', flags, data }),
    },
    options,
  );
  for (const chunk of chunks) parser.feed(chunk);
  return raw.map((item): Item => {
    if (item.kind === 'raw')
      return {
        kind: 'value',
        key: item.key,
        flags: item.flags,
        data: item.data.toString('hex'),
        cas: item.cas,
      };
    if (item.kind === 'raw-meta') return { kind: 'meta', flags: item.flags, data: item.data.toString('hex') };
    return item;
  });
}

function expectReplies(replies: readonly Reply[], options?: ReplyParserOptions): void {
  const bytes = Buffer.concat(replies.map((r) => r.bytes));
  const expected = replies.map((r) => r.item);
  for (const [how, chunks] of feedings(bytes)) {
    expect(parse(chunks, options), how).toEqual(expected);
  }
}

function expectProtocolError(bytes: Buffer, message: RegExp, options?: ReplyParserOptions): void {
  for (const [how, chunks] of feedings(bytes)) {
    let caught: unknown;
    try {
      parse(chunks, options);
    } catch (error) {
      caught = error;
    }
    expect(caught, how).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code, how).toBe('ERR_MEMWIRE_PROTOCOL');
    expect((caught as ProtocolError).message, how).toMatch(message);
  }
}

describe('ReplyParser', () => {
  describe('lines', () => {
    test('turns each status line into one line item without its \\r\\n', () => {
      expectReplies([line('STORED'), line('NOT_STORED'), line('EXISTS'), line('NOT_FOUND'), line('END')]);
    });

    test('passes STAT, VERSION, numbers and error lines through as text', () => {
      expectReplies([
        line('STAT pid 1234'),
        line('STAT version 1.6.18'),
        line('END'),
        line('VERSION 1.6.18'),
        line('18446744073709551615'),
        line('CLIENT_ERROR bad data chunk'),
        line('SERVER_ERROR object too large for cache'),
      ]);
    });

    test('keeps an empty line as an empty line item', () => {
      expectReplies([line(''), line('END')]);
    });

    test('treats a line starting with VALUE but without the space as a plain line', () => {
      expectReplies([line('VALUE'), line('VALUES 1')]);
    });

    test('reads non-ASCII bytes of a line as latin1, one character per byte', () => {
      expectReplies([line('SERVER_ERROR \u00e9\u00ff\u0000')]);
    });

    test('accepts a line of exactly maxLineLength bytes', () => {
      expectReplies([line('HELLO'), line('END')], { maxLineLength: 5 });
    });
  });

  describe('VALUE blocks', () => {
    test('reads a value without cas', () => {
      expectReplies([value('greeting', 0, Buffer.from('hello')), line('END')]);
    });

    test('reads a value with a cas token, kept as text beyond 2^53', () => {
      expectReplies([value('k', 42, Buffer.from('v'), '18446744073709551615'), line('END')]);
    });

    test('reads data holding \\r\\n, NUL and a whole fake reply by its length, never by scanning', () => {
      const tricky = Buffer.from('a\r\nEND\r\n\0VALUE x 0 1\r\ny\r\n\r\n', 'latin1');
      expectReplies([value('k', 1, tricky), line('END')]);
    });

    test('reads an empty value', () => {
      expectReplies([value('empty', 0, Buffer.alloc(0)), line('END')]);
    });

    test('reads every byte value 0..255 unchanged', () => {
      expectReplies([value('bytes', 0, Buffer.from(Array.from({ length: 256 }, (_, i) => i))), line('END')]);
    });

    test('reads a multi-get: several values then END', () => {
      expectReplies([
        value('a', 0, Buffer.from('1')),
        value('b', 2, Buffer.from('{"x":1}'), '7'),
        value('c', 4294967295, Buffer.from('3')),
        line('END'),
      ]);
    });

    test('decodes the key as UTF-8', () => {
      expectReplies([value('caf\u00e9:\u{1f600}', 0, Buffer.from('x')), line('END')]);
    });

    test('reads a value larger than any one chunk', () => {
      const big = Buffer.alloc(100_000, 0x0d);
      big[big.length - 1] = 0x0a;
      const bytes = Buffer.concat([value('big', 0, big).bytes, line('END').bytes]);
      const expected = [value('big', 0, big).item, { kind: 'line', line: 'END' }];
      // Byte by byte would be 100k feeds; 1 KiB and odd-sized chunks exercise the same paths.
      for (const size of [1024, 4093, 65_536]) {
        const offsets = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size);
        expect(parse(splitAt(bytes, offsets)), `chunks of ${size}`).toEqual(expected);
      }
      expect(parse([bytes]), 'as one chunk').toEqual(expected);
    });

    test('accepts a value of exactly maxValueLength bytes', () => {
      expectReplies([value('k', 0, Buffer.from('12345')), line('END')], { maxValueLength: 5 });
    });

    test('hands out data that later chunks do not overwrite', () => {
      // parse() reads every value only after the last feed; two spanning values in a row would
      // show a reused buffer.
      expectReplies([
        value('a', 0, Buffer.from('first value spans chunks')),
        value('b', 0, Buffer.from('second value spans too!!')),
        line('END'),
      ]);
    });
  });

  describe('meta VA blocks', () => {
    test('reads a value with its return flags, and one with none', () => {
      expectReplies([
        metaValue('t30 f7 c12 W', Buffer.from('hello')),
        metaValue('', Buffer.from('x')),
        line('EN'),
        line('HD t-1'),
        line('MN'),
      ]);
    });

    test('reads data holding \\r\\n and a fake reply by its length', () => {
      expectReplies([metaValue('Z X', Buffer.from('VA 2\r\nEN\r\n')), line('MN')]);
    });

    test('reads an empty value (a placeholder a lease just created)', () => {
      expectReplies([metaValue('t30 W', Buffer.alloc(0)), line('HD')]);
    });

    test('reads a value larger than any one chunk', () => {
      expectReplies([metaValue('f1', Buffer.alloc(200_000, 0x41)), line('MN')]);
    });

    test('rejects a VA header without a length, and a VA longer than maxValueLength', () => {
      expectProtocolError(Buffer.from('VA x\r\n'), /malformed VA header/);
      expectProtocolError(Buffer.from('VA \r\n'), /malformed VA header/);
      expectProtocolError(Buffer.from('VA 6 t1\r\n'), /exceeds the 5-byte limit/, { maxValueLength: 5 });
    });

    test('treats a line starting VA without the space as a plain line', () => {
      expectReplies([line('VAX'), line('VA')]);
    });
  });

  describe('errors', () => {
    test('rejects a bare \\n at the start of a line', () => {
      expectProtocolError(Buffer.from('\n'), /not terminated by \\r\\n/);
    });

    test('rejects a line ended by \\n without \\r', () => {
      expectProtocolError(Buffer.from('STORED\r\nEND\n'), /not terminated by \\r\\n/);
    });

    test.each([
      ['no fields', 'VALUE \r\n'],
      ['an empty key', 'VALUE  0 1\r\nx\r\n'],
      ['a key only', 'VALUE k\r\n'],
      ['no length', 'VALUE k 0\r\n'],
      ['a non-numeric flags field', 'VALUE k x 1\r\nx\r\n'],
      ['a negative length', 'VALUE k 0 -1\r\n'],
      ['a double space', 'VALUE k 0  1\r\nx\r\n'],
      ['a trailing space', 'VALUE k 0 1 \r\nx\r\n'],
      ['a non-numeric cas', 'VALUE k 0 1 abc\r\nx\r\n'],
      ['an extra field after cas', 'VALUE k 0 1 5 6\r\nx\r\n'],
      ['flags above 2^32-1', 'VALUE k 4294967296 1\r\nx\r\n'],
    ])('rejects a VALUE header with %s', (_, text) => {
      expectProtocolError(Buffer.from(text), /malformed VALUE header/);
    });

    test('rejects a data block not followed by \\r\\n', () => {
      expectProtocolError(Buffer.from('VALUE k 0 2\r\nabcEND\r\n'), /data block not followed by \\r\\n/);
    });

    test('rejects a data block followed by \\n alone', () => {
      expectProtocolError(Buffer.from('VALUE k 0 2\r\nab\nEND\r\n'), /data block not followed by \\r\\n/);
    });

    test('rejects a line longer than maxLineLength, with or without its \\r\\n', () => {
      expectProtocolError(Buffer.from('TOOLONG\r\n'), /longer than 6 bytes/, { maxLineLength: 6 });
      expectProtocolError(Buffer.from('TOOLONGNEVERENDS'), /longer than 6 bytes/, { maxLineLength: 6 });
    });

    test('rejects an endless line under the default limit of 8192 bytes', () => {
      const bytes = Buffer.alloc(9000, 0x41);
      const offsets = Array.from({ length: 90 }, (_, i) => i * 100);
      expect(() => parse(splitAt(bytes, offsets))).toThrow(ProtocolError);
      expect(() => parse([bytes])).toThrow(ProtocolError);
      expect(parse([Buffer.alloc(8192, 0x41)])).toEqual([]);
    });

    test('rejects a VALUE longer than maxValueLength before allocating it', () => {
      expectProtocolError(Buffer.from('VALUE k 0 6\r\n'), /exceeds the 5-byte limit/, { maxValueLength: 5 });
    });

    test('allocates for the bytes that arrive, not for the length a VALUE header declares', () => {
      // A hostile or broken server declares 1 GiB (within the parser's limit) and trickles bytes.
      const parser = new ReplyParser({ onLine: () => {}, onValue: () => {}, onMetaValue: () => {} });
      const before = process.memoryUsage().arrayBuffers;
      parser.feed(Buffer.from('VALUE k 0 1073741824\r\n'));
      parser.feed(Buffer.alloc(1024 * 1024, 0x61));
      const grown = process.memoryUsage().arrayBuffers - before;
      parser.reset();
      expect(grown).toBeLessThan(64 * 1024 * 1024);
    });

    test('reads a large value spanning many chunks whole, byte for byte', () => {
      const data = Buffer.alloc(300 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
      const bytes = Buffer.concat([
        Buffer.from(`VALUE k 3 ${data.length}\r\n`),
        data,
        Buffer.from('\r\nEND\r\n'),
      ]);
      const offsets = Array.from({ length: 40 }, (_, i) => 5 + i * 7919);
      expect(parse(splitAt(bytes, offsets))).toEqual([
        { kind: 'value', key: 'k', flags: 3, data: data.toString('hex'), cas: undefined },
        { kind: 'line', line: 'END' },
      ]);
    });

    test('rejects a cas longer than 20 digits or above 2^64-1', () => {
      expectProtocolError(Buffer.from(`VALUE k 0 1 ${'9'.repeat(4000)}\r\nx\r\n`), /malformed VALUE header/);
      expectProtocolError(Buffer.from('VALUE k 0 1 18446744073709551616\r\nx\r\n'), /malformed VALUE header/);
      expect(parse([Buffer.from('VALUE k 0 1 18446744073709551615\r\nx\r\n')])).toEqual([
        { kind: 'value', key: 'k', flags: 0, data: '78', cas: '18446744073709551615' },
      ]);
    });

    test('rejects flags and lengths with more digits than any number they may hold', () => {
      expectProtocolError(Buffer.from(`VALUE k ${'9'.repeat(400)} 1\r\nx\r\n`), /malformed VALUE header/);
      expectProtocolError(Buffer.from(`VALUE k 0 ${'9'.repeat(400)}\r\n`), /exceeds the/);
    });

    test('throws only ProtocolError, whatever bytes arrive', () => {
      const alphabet = ['V', 'A', 'L', 'U', 'E', 'VALUE ', ' ', 'k', '0', '1', '9', '-', '\r', '\n', '\r\n'];
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }),
          fc.array(fc.nat(), { maxLength: 10 }),
          (parts, offsets) => {
            const bytes = Buffer.from(parts.join(''), 'latin1');
            try {
              parse(splitAt(bytes, offsets), { maxLineLength: 30, maxValueLength: 100 });
            } catch (error) {
              expect(error).toBeInstanceOf(ProtocolError);
            }
          },
        ),
        { numRuns: 500 },
      );
    });
  });

  describe('reset', () => {
    test('forgets a half-read value', () => {
      const items: string[] = [];
      const parser = new ReplyParser({
        onLine: (text) => items.push(text),
        onValue: (key) => items.push(`value ${key}`),
        onMetaValue: () => items.push('meta'),
      });
      parser.feed(Buffer.from('VALUE k 0 10\r\nabc'));
      parser.reset();
      parser.feed(Buffer.from('END\r\n'));
      expect(items).toEqual(['END']);
    });

    test('forgets a half-read line', () => {
      const items: string[] = [];
      const parser = new ReplyParser({
        onLine: (text) => items.push(text),
        onValue: () => {},
        onMetaValue: () => {},
      });
      parser.feed(Buffer.from('STOR'));
      parser.reset();
      parser.feed(Buffer.from('DELETED\r\n'));
      expect(items).toEqual(['DELETED']);
    });
  });

  describe('any sequence of replies, split anywhere', () => {
    const latin1Line = fc
      .string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 })
      .filter((text) => !text.includes('\n') && !text.startsWith('VALUE '));
    const status = fc.constantFrom(
      'STORED',
      'NOT_STORED',
      'EXISTS',
      'NOT_FOUND',
      'DELETED',
      'TOUCHED',
      'OK',
      'END',
      'ERROR',
      'CLIENT_ERROR bad data chunk',
      'SERVER_ERROR out of memory storing object',
    );
    const number = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
    const stat = fc
      .tuple(fc.stringMatching(/^[a-z_:]{1,24}$/), fc.stringMatching(/^[!-~ ]{0,30}$/))
      .map(([name, v]) => `STAT ${name} ${v}`);
    const key = fc.oneof(
      fc.stringMatching(/^[!-~]{1,250}$/),
      fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
        .filter((k) => !/[\s\u0000-\u001f\u007f-\u009f]/u.test(k)),
    );
    // Data is biased towards the bytes that break scanning parsers.
    const tricky = fc
      .array(fc.constantFrom('\r', '\n', '\r\n', '\0', 'END\r\n', 'VALUE k 0 1\r\n', ' ', 'x'), {
        maxLength: 12,
      })
      .map((parts) => Buffer.from(parts.join(''), 'latin1'));
    const data = fc.oneof(fc.uint8Array({ maxLength: 300 }), tricky);
    const cas = fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), { nil: undefined });
    const reply = fc.oneof(
      fc.oneof(status, number, stat, latin1Line).map(line),
      fc
        .tuple(key, fc.integer({ min: 0, max: 0xffffffff }), data, cas)
        .map(([k, flags, d, c]) => value(k, flags, d, c)),
    );

    test('gives back exactly the replies encoded, as one chunk, byte by byte and at any split points', () => {
      fc.assert(
        fc.property(
          fc.array(reply, { maxLength: 15 }),
          fc.array(fc.nat(), { maxLength: 30 }),
          (replies, offsets) => {
            const bytes = Buffer.concat(replies.map((r) => r.bytes));
            const expected = replies.map((r) => r.item);
            expect(parse([bytes])).toEqual(expected);
            expect(parse(splitAt(bytes, Array.from(bytes.keys())))).toEqual(expected);
            expect(parse(splitAt(bytes, offsets))).toEqual(expected);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
