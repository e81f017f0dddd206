/**
 * The few Python pickles that hold a single float, bool or None. Python clients pickle every value that
 * is not str, bytes or int (pymemcache's and pylibmc's serializers), so these are how a JS number that
 * is not an integer, a boolean or null travels to Python and back. Nothing else is unpickled: a pickle
 * can name any Python class, so anything beyond these exact byte layouts is left to the caller.
 */

/** Opcodes, as named in CPython's Lib/pickle.py. */
const PROTO = 0x80;
const FRAME = 0x95;
const STOP = 0x2e; // '.'
const NONE = 0x4e; // 'N'
const NEWTRUE = 0x88;
const NEWFALSE = 0x89;
const BINFLOAT = 0x47; // 'G': 8-byte big-endian IEEE 754 double

export type PickleScalar = number | boolean | null;

/** A protocol-2 pickle of `value` (protocol 2 is what every Python 3, and Python 2.3+, reads). */
export function pickleScalar(value: PickleScalar): Buffer {
  if (value === null) return Buffer.from([PROTO, 2, NONE, STOP]);
  if (typeof value === 'boolean') return Buffer.from([PROTO, 2, value ? NEWTRUE : NEWFALSE, STOP]);
  const data = Buffer.alloc(12);
  data[0] = PROTO;
  data[1] = 2;
  data[2] = BINFLOAT;
  data.writeDoubleBE(value, 3);
  data[11] = STOP;
  return data;
}

/**
 * The float, bool or None a pickle holds, or undefined when it holds anything else. Accepts what
 * `pickle.dumps` writes for these at protocols 2 to 5: PROTO, then (protocol 4+) an optional FRAME,
 * one value opcode, STOP, and nothing after it.
 */
export function unpickleScalar(data: Uint8Array): { value: PickleScalar } | undefined {
  let at = 0;
  if (data[at] === PROTO) at += 2;
  if (data[at] === FRAME) at += 9; // opcode + 8-byte frame length
  let value: PickleScalar;
  switch (data[at++]) {
    case NONE:
      value = null;
      break;
    case NEWTRUE:
      value = true;
      break;
    case NEWFALSE:
      value = false;
      break;
    case BINFLOAT:
      if (at + 8 > data.length) return undefined;
      value = Buffer.from(data.buffer, data.byteOffset, data.byteLength).readDoubleBE(at);
      at += 8;
      break;
    default:
      return undefined;
  }
  return data[at] === STOP && at + 1 === data.length ? { value } : undefined;
}
