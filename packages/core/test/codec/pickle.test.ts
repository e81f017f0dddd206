import { describe, expect, test } from 'vitest';
import { pickleScalar, unpickleScalar } from '../../src/codec/pickle.js';
import { hex } from './helpers.js';

describe('pickleScalar', () => {
  test.each([
    ['1.5', 1.5, '8002473ff80000000000002e'],
    ['-Infinity', Number.NEGATIVE_INFINITY, '800247fff00000000000002e'],
    ['-0', -0, '80024780000000000000002e'],
    ['true', true, '8002882e'],
    ['false', false, '8002892e'],
    ['null', null, '80024e2e'],
  ])('writes %s byte for byte as Python pickle.dumps(…, 2) does', (_, value, expected) => {
    expect(pickleScalar(value).toString('hex')).toBe(expected);
  });

  test('round-trips NaN', () => {
    expect(unpickleScalar(pickleScalar(Number.NaN))?.value).toBeNaN();
  });
});

describe('unpickleScalar', () => {
  // Each written by CPython 3.11's pickle.dumps at the protocol named.
  test.each([
    ['a float at protocol 3', '8003473ff80000000000002e', 1.5],
    ['a framed float at protocol 5 (what Django writes)', '8005950a00000000000000473ff80000000000002e', 1.5],
    ['a framed -0.0 at protocol 4', '8004950a000000000000004780000000000000002e', -0],
    ['True at protocol 5', '8005882e', true],
    ['False at protocol 4', '8004892e', false],
    ['None at protocol 5', '80054e2e', null],
  ])('reads %s', (_, bytes, expected) => {
    expect(unpickleScalar(hex(bytes))).toEqual({ value: expected });
  });

  test.each([
    ['a dict', '8005950a000000000000007d948c0161944b01732e'],
    ['a pickled int', '80054b052e'],
    ['a pickled str', '80059505000000000000008c0178942e'],
    ['a protocol-0 float', '46312e350a2e'],
    ['a float cut short', '8002473ff800'],
    ['a float with bytes after STOP', '8002473ff80000000000002e00'],
    ['True without STOP', '8002 88'],
    ['nothing', ''],
  ])('returns undefined for %s', (_, bytes) => {
    expect(unpickleScalar(hex(bytes))).toBeUndefined();
  });

  test('reads a pickle from a view into a larger buffer', () => {
    const received = hex('ffff 8002473ff80000000000002e ffff');
    expect(unpickleScalar(received.subarray(2, 14))).toEqual({ value: 1.5 });
  });
});
