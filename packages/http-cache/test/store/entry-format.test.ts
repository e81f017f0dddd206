import { describe, expect, test } from 'vitest';
import { decodeRecord, type EntryMeta, encodeRecord, recordSize } from '../../src/store/entry-format.js';

const meta: EntryMeta = {
  kind: 'entry',
  status: 200,
  headers: [['content-type', 'application/octet-stream']],
  policy: {
    v: 1,
    t: 0,
    sh: true,
    ch: 0.1,
    imm: 0,
    st: 200,
    resh: {},
    rescc: {},
    m: 'GET',
    a: true,
    reqh: null,
    reqcc: {},
  },
  explicit: true,
  noStale: false,
  vary: [],
  tags: { products: '42' },
  length: 256,
};
const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('entry records', () => {
  test('round-trip metadata and every byte value of the body', () => {
    const bytes = encodeRecord(meta, body);
    expect(bytes.length).toBe(recordSize(meta, body.length));
    const record = decodeRecord(bytes);
    expect(record?.meta).toEqual(meta);
    expect(record?.body?.equals(body)).toBe(true);
  });

  test('are not taken from bytes written by something else', () => {
    expect(decodeRecord(Buffer.from('hello world, not an entry'))).toBeUndefined();
    expect(decodeRecord('a string')).toBeUndefined();
    expect(decodeRecord(undefined)).toBeUndefined();
  });

  test('are not taken when truncated', () => {
    const bytes = encodeRecord(meta, body);
    expect(decodeRecord(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(decodeRecord(bytes.subarray(0, 20))).toBeUndefined();
  });

  test('read a manifest without a body', () => {
    const manifest: EntryMeta = {
      ...meta,
      length: 3_000_000,
      chunks: { nonce: 'AAAAAAAAAAAAAAAA', count: 3, size: 1_047_552 },
    };
    expect(decodeRecord(encodeRecord(manifest))).toEqual({ meta: manifest, body: undefined });
  });
});
