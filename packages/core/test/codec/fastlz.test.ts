import { describe, expect, test } from 'vitest';
import { fastlzDecompress } from '../../src/codec/fastlz.js';
import { CodecError } from '../../src/errors.js';
import { hex, thrown } from './helpers.js';

// Written by php-memcached 3.2.0 (compression_type=fastlz, its default), less its 4-byte length prefix.
const ff = (count: number) => 'ff'.repeat(count);
// str_repeat('memwire ', 400): under 64 KiB, so level 1.
const LEVEL1 = hex(`076d656d7769726520${'e0fd07'.repeat(12)}e0240702726520`);
// str_repeat('abc', 30000): 64 KiB or more, so level 2, with a chain of 255s for the long match.
const LEVEL2 = hex(`22616263e0${ff(352)}e10202616263`);
// $r . str_repeat('z', 70000) . $r with 40 random bytes $r: the second $r is a match 70,040 bytes back.
const R = 'xo"1vdrL?v%v%VS!aMzeW54t3]ptEEP+ET\\!-H*{';
const FAR = hex(
  `3f786f22317664724c3f76257625565321614d7a6557353474335d70744545502b0845545c212d482a7b7ae0${ff(274)}7800ff1cfff19802482a7b`,
);

describe('fastlzDecompress', () => {
  test('decodes level 1, as PHP writes values under 64 KiB', () => {
    expect(fastlzDecompress(LEVEL1, 3200).toString()).toBe('memwire '.repeat(400));
  });

  test('decodes level 2 with long match lengths', () => {
    expect(fastlzDecompress(LEVEL2, 90_000).toString()).toBe('abc'.repeat(30_000));
  });

  test('decodes a level 2 match farther than 8191 bytes (the 16-bit distance form)', () => {
    expect(fastlzDecompress(FAR, 70_080).toString('latin1')).toBe(R + 'z'.repeat(70_000) + R);
  });

  test.each([
    ['no data', Buffer.alloc(0), 1],
    ['an unknown level', Buffer.from([0x40, 0x61]), 1],
    ['a literal run past the input', Buffer.from([0x05, 0x61]), 6],
    ['a match before the start of the output', Buffer.from([0x00, 0x61, 0x20, 0x05]), 4],
    ['a match past the declared size', Buffer.from([0x00, 0x61, 0x40, 0x00]), 3],
    ['an instruction cut short', Buffer.from([0x00, 0x61, 0xe0]), 20],
    ['fewer bytes than declared', LEVEL1, 3201],
  ])('throws CodecError for %s', (_, input, size) => {
    const error = thrown(CodecError, () => fastlzDecompress(input, size));
    expect(error.message).toMatch(/^php: FastLZ-compressed value is corrupt/);
  });
});
