import type { Value } from '@memwire/core';
import { UsageError } from './exit-codes.js';

/** How `set` reads its VALUE argument (`--type`). */
export type InputType = 'string' | 'json' | 'bytes';
export const INPUT_TYPES: readonly InputType[] = ['string', 'json', 'bytes'];

/**
 * The value `set` stores. `string` is stored as UTF-8 text (flags 0, what every client reads as text);
 * `json` is parsed first, so `42` is stored as a number and `{"a":1}` as JSON (flags 2); `bytes`
 * stores the bytes as given (flags 1), meant for stdin.
 */
export function parseInput(text: Buffer, type: InputType): Value {
  if (type === 'bytes') return text;
  const string = text.toString('utf8');
  if (type === 'string') return string;
  try {
    return JSON.parse(string) as Value;
  } catch (error) {
    throw new UsageError(`the value is not valid JSON (${(error as Error).message})`);
  }
}

/** A value as `get --json` reports it: JSON has no bigint or bytes, so those are encoded as text. */
export interface ValueReport {
  /** What the stored flags say the value is. */
  type: 'string' | 'number' | 'bigint' | 'boolean' | 'json' | 'bytes';
  /** The value; a bigint as a decimal string, bytes as base64. */
  value: unknown;
  encoding?: 'base64';
}

export function reportValue(value: Value): ValueReport {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number') return { type: 'number', value };
  if (typeof value === 'bigint') return { type: 'bigint', value: value.toString() };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (value instanceof Uint8Array) {
    return { type: 'bytes', value: Buffer.from(value).toString('base64'), encoding: 'base64' };
  }
  return { type: 'json', value };
}

/**
 * A value as text for a person: strings as they are, numbers and booleans in decimal, objects as
 * JSON (on one line for tables). Bytes that are UTF-8 are shown as text; other bytes return
 * undefined (the caller writes them raw to a pipe, or explains on a terminal).
 */
export function valueAsText(value: Value, layout: 'indented' | 'one line' = 'indented'): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(value);
    } catch {
      return undefined;
    }
  }
  return JSON.stringify(value, null, layout === 'indented' ? 2 : undefined);
}
