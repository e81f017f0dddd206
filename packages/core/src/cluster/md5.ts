/**
 * The first 32-bit word of MD5 (RFC 1321) over a string's UTF-8 bytes: what ketama's key hash needs,
 * without node:crypto.
 *
 * Why not `createHash('md5')`: every key of a cluster is hashed to pick its server, and a Hash object
 * per key costs ~2 µs on Node 20 (~1.2 µs with `crypto.hash`), a quarter of a cluster get's client CPU.
 * Keys are short (≤ 250 bytes, most within one 64-byte block), and these few integer rounds over a
 * reused buffer cost a fraction of that. The output is checked against node:crypto in hash.test.ts.
 */

/** K[i] = floor(|sin(i + 1)| · 2³²), RFC 1321 §3.4, as signed 32-bit integers. */
const K = new Int32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
  0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
  0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
  0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
  0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
  0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
  0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
  0xeb86d391,
]);

/** The left rotation of each of the 64 steps: four per round, repeated four times (RFC 1321 §3.4). */
const S = new Uint8Array(64).map(
  (_, i) => [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21][(i >> 4) * 4 + (i & 3)]!,
);

/** The message word each step reads: i, 5i+1, 3i+5 and 7i, modulo 16, in rounds 1 to 4. */
const G = new Uint8Array(64).map((_, i) => [i, 5 * i + 1, 3 * i + 5, 7 * i][i >> 4]! & 15);

/**
 * The padded message, reused across calls (one thread: no call can interleave). Room for any memcached
 * key (250 bytes, each UTF-16 unit at most 3 bytes of UTF-8, plus 72 of padding); a longer text (the
 * exported ring hashes whatever it is given) gets a buffer of its own, so none is kept at its size.
 */
const shared = new Uint8Array(1024);
const words = new Int32Array(16);
const encoder = new TextEncoder();

/** MD5(UTF-8 of `text`)'s first four bytes read little-endian, as `digest().readUInt32LE(0)`. */
export function md5FirstWord(text: string): number {
  const room = text.length * 3 + 72;
  const bytes = room <= shared.length ? shared : new Uint8Array(room);
  const length = encodeInto(text, bytes);
  // Padding (RFC 1321 §3.1–3.2): 0x80, zeros to 8 bytes short of a 64-byte boundary, then the length in
  // bits as a little-endian 64-bit integer, which goes straight into the last block's words 14 and 15.
  const total = (((length + 8) >>> 6) + 1) << 6;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, total - 8);
  const bits = length * 8;

  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let offset = 0; offset < total; offset += 64) {
    for (let j = 0, p = offset; j < 16; j++, p += 4)
      words[j] = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    if (offset + 64 === total) {
      words[14] = bits | 0;
      words[15] = Math.floor(bits / 2 ** 32);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      if (i < 16) f = (b & c) | (~b & d);
      else if (i < 32) f = (d & b) | (~d & c);
      else if (i < 48) f = b ^ c ^ d;
      else f = c ^ (b | ~d);
      f = (f + a + K[i]! + words[G[i]!]!) | 0;
      const s = S[i]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return a0 >>> 0;
}

/** Writes `text`'s UTF-8 bytes at the start of `bytes` (room for them is known); returns their count. */
function encodeInto(text: string, bytes: Uint8Array): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    // Not ASCII: the encoder's UTF-8, lone surrogates as U+FFFD like Buffer.from and node:crypto.
    if (code >= 0x80) return encoder.encodeInto(text, bytes).written;
    bytes[i] = code;
  }
  return n;
}
