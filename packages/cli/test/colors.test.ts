import { describe, expect, test } from 'vitest';
import { colorsWanted } from '../src/output.js';

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;
const on = { json: false, color: true };

// Node's own rule (tty.WriteStream#getColorDepth, and supports-color): FORCE_COLOR '', '1', 'true',
// '2', '3' force colours on; any other value ('0', 'false') forces them off; NO_COLOR is then ignored.
describe('colorsWanted', () => {
  test.each([
    ['', true],
    ['1', true],
    ['2', true],
    ['3', true],
    ['true', true],
    ['0', false],
    ['false', false],
  ])('FORCE_COLOR=%j decides, on a pipe and on a terminal', (value, expected) => {
    expect(colorsWanted(pipe, { FORCE_COLOR: value }, on)).toBe(expected);
    expect(colorsWanted(tty, { FORCE_COLOR: value }, on)).toBe(expected);
    expect(colorsWanted(tty, { FORCE_COLOR: value, NO_COLOR: '1' }, on)).toBe(expected);
  });

  test('without FORCE_COLOR: a terminal is coloured unless NO_COLOR is set and not empty', () => {
    expect(colorsWanted(tty, {}, on)).toBe(true);
    expect(colorsWanted(pipe, {}, on)).toBe(false);
    expect(colorsWanted(tty, { NO_COLOR: '1' }, on)).toBe(false);
    expect(colorsWanted(tty, { NO_COLOR: '' }, on)).toBe(true);
  });

  test('--no-color and --json turn colours off whatever the environment says', () => {
    expect(colorsWanted(tty, { FORCE_COLOR: '1' }, { json: false, color: false })).toBe(false);
    expect(colorsWanted(tty, { FORCE_COLOR: '1' }, { json: true, color: true })).toBe(false);
  });
});
