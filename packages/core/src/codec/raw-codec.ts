import { InvalidValueError } from '../errors.js';
import { type Codec, ownBytes } from './codec.js';

/**
 * Stores strings (as UTF-8) and bytes exactly, with flags 0, and returns every value as a Buffer,
 * whatever flags another client wrote. For sharing keys with clients that have their own formats.
 */
export const rawCodec: Codec<string | Uint8Array, Buffer> = {
  name: 'raw',
  encode(value) {
    if (typeof value === 'string') return { data: value, flags: 0 };
    if (value instanceof Uint8Array) return { data: value, flags: 0 };
    throw new InvalidValueError(`the raw codec stores strings and bytes only, got ${typeof value}`);
  },
  decode(data) {
    return ownBytes(data);
  },
};
