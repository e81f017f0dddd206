import { Lru } from '@memwire/core';
import { HTTP_CACHE_DEFAULTS } from '../config.js';
import type { PolicyObject } from '../rules/freshness.js';
import type { HeaderList } from '../types.js';
import { MAX_META_BYTES, type RecordLimits, validateMeta } from './validate-entry.js';

/** The limits of a cache with the default options. */
const DEFAULT_RECORD_LIMITS: RecordLimits = {
  itemSize: HTTP_CACHE_DEFAULTS.itemSize,
  maxBodySize: HTTP_CACHE_DEFAULTS.maxBodySize,
};

/** What is known of a stored response besides its body. */
export interface EntryMeta {
  kind: 'entry';
  status: number;
  /** The headers to send, in order (never Set-Cookie, hop-by-hop fields, Age or Content-Length). */
  headers: HeaderList;
  /** http-cache-semantics' policy, for freshness. */
  policy: PolicyObject;
  /** Stated its own freshness or `public`: may be shared with requests carrying Cookie or Authorization. */
  explicit: boolean;
  /** Never served stale (`must-revalidate`, `proxy-revalidate`). */
  noStale: boolean;
  /** The request fields it varies on (sorted), and the digest of their values in the request it answered. */
  vary: string[];
  varyDigest?: string | undefined;
  /** Each tag's generation when it was stored: a tag bumped since means invalidated. */
  tags?: Record<string, string> | undefined;
  /** Body length in bytes. */
  length: number;
  /**
   * Present when the body is split over `count` items of `size` bytes (the last one shorter) under
   * `nonce`: this record is then the manifest, written after every part, so a reader that finds it
   * finds parts that are complete, or missing (evicted, expired) and so a miss, never a mix.
   */
  chunks?: { nonce: string; count: number; size: number } | undefined;
  /**
   * The resource name's generation it was stored under (a Vary pointer's nonce plays that part for
   * variants): checked on every hit, so invalidating a path reaches its entries on every host.
   */
  generation?: string | undefined;
}

/** Stored at a resource's entry key when its responses vary: where its variants live. */
export interface VaryPointer {
  kind: 'vary';
  vary: string[];
  /**
   * Part of every variant key: the resource's generation when the pointer was written. Processes
   * storing variants of one generation agree on it; an invalidation moves the generation on, so the
   * next pointer leads to new keys and the variants stored before it are never reached again.
   */
  nonce: string;
}

export type CacheRecord =
  | { meta: EntryMeta; body: Buffer | undefined }
  | { meta: VaryPointer; body: undefined };

/** `MWH` and a format version: bytes written by anything else are never taken for an entry. */
const MAGIC = Buffer.from([0x4d, 0x57, 0x48, 0x01]);
const HEADER_BYTES = MAGIC.length + 4;

/** One item: magic, the metadata's length (uint32 BE), the metadata as JSON, then the body bytes. */
export function encodeRecord(meta: EntryMeta | VaryPointer, body?: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(head, 0);
  head.writeUInt32BE(json.length, MAGIC.length);
  return Buffer.concat(body === undefined ? [head, json] : [head, json, body]);
}

/** The size {@link encodeRecord} would produce. */
export function recordSize(meta: EntryMeta | VaryPointer, bodyLength: number): number {
  return HEADER_BYTES + Buffer.byteLength(JSON.stringify(meta)) + bodyLength;
}

/**
 * Parsed and validated metadata of records read recently, by their exact bytes: a hit on a popular
 * entry then costs a byte comparison instead of a JSON parse and a validation. Only parsing is saved;
 * every hit still reads memcached, so nothing here can be stale. Only valid metadata is remembered;
 * the least recently used is forgotten first.
 */
export class MetaMemo {
  private readonly parsed: Lru<string, { json: Buffer; meta: EntryMeta | VaryPointer }>;

  constructor(maxEntries: number) {
    this.parsed = new Lru({ max: maxEntries });
  }

  /** The valid metadata in `json`, or undefined; throws on JSON that does not parse. */
  parse(key: string, json: Buffer, limits: RecordLimits): EntryMeta | VaryPointer | undefined {
    const known = this.parsed.get(key);
    if (known?.json.equals(json)) return known.meta;
    this.parsed.delete(key);
    const meta = validateMeta(JSON.parse(json.toString('utf8')), limits);
    if (meta === undefined) return undefined;
    this.parsed.set(key, { json: Buffer.from(json), meta });
    return meta;
  }
}

/**
 * The record in a value read from memcached, or undefined for anything that is not one of ours, or
 * not one this cache could have written within `limits` (see validate-entry.ts).
 */
export function decodeRecord(
  value: unknown,
  memo?: { key: string; metas: MetaMemo },
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): CacheRecord | undefined {
  if (!(value instanceof Uint8Array) || value.length < HEADER_BYTES) return undefined;
  const bytes = Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) !== 0) return undefined;
  const metaLength = bytes.readUInt32BE(MAGIC.length);
  const metaEnd = HEADER_BYTES + metaLength;
  if (metaLength > MAX_META_BYTES || metaEnd > bytes.length) return undefined;
  let meta: EntryMeta | VaryPointer | undefined;
  try {
    const json = bytes.subarray(HEADER_BYTES, metaEnd);
    meta =
      memo === undefined
        ? validateMeta(JSON.parse(json.toString('utf8')), limits)
        : memo.metas.parse(memo.key, json, limits);
  } catch {
    return undefined;
  }
  if (meta === undefined) return undefined;
  // A pointer or a manifest carries no body: bytes after its metadata are not ours.
  const bodiless = metaEnd === bytes.length;
  if (meta.kind === 'vary') return bodiless ? { meta, body: undefined } : undefined;
  if (meta.chunks !== undefined) return bodiless ? { meta, body: undefined } : undefined;
  const body = bytes.subarray(metaEnd);
  return body.length === meta.length ? { meta, body } : undefined;
}

/** Whether metadata is small enough to be written, and so read back ({@link MAX_META_BYTES}). */
export function metaFits(meta: EntryMeta | VaryPointer): boolean {
  return Buffer.byteLength(JSON.stringify(meta)) <= MAX_META_BYTES;
}
