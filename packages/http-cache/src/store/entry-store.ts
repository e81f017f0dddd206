import { randomBytes } from 'node:crypto';
import { type CallOptions, ErrorCodes } from '@memwire/core';
import type { Budget, CacheClient } from '../client.js';
import { varyDigest } from '../rules/vary.js';
import type { CacheRequest } from '../types.js';
import {
  type CacheRecord,
  decodeRecord,
  type EntryMeta,
  encodeRecord,
  MetaMemo,
  metaFits,
  recordSize,
  type VaryPointer,
} from './entry-format.js';
import { createGeneration, generationOf, readGenerations } from './generations.js';
import { GetBatcher } from './get-batcher.js';
import type { KeySpace } from './keys.js';
import type { Prepared } from './prepare-entry.js';
import { validateMeta } from './validate-entry.js';

/** A stored response read back: its metadata and body (undefined only when the body was not asked for). */
export interface StoredEntry {
  meta: EntryMeta;
  body: Buffer | undefined;
}

/** What a lookup found. */
export interface Lookup {
  /** memcached could not be asked (down, slow, refused): nothing is known, so nothing is stored either. */
  failed: boolean;
  /** Why, when it failed. */
  error?: unknown;
  /** Where this request's variant lives: the entry key, or a variant key under the resource's pointer. */
  key: string;
  /** A valid stored response: current tag generations, whole body. */
  entry?: StoredEntry | undefined;
  /** The resource's Vary pointer, when its responses vary. */
  pointer?: VaryPointer | undefined;
}

export interface EntryStoreOptions {
  /** Largest item written, in bytes; larger records are split into chunks, or skipped. */
  itemSize: number;
  largeBodies: 'chunk' | 'skip';
  /** Largest body stored: a record read that claims more is not ours. */
  maxBodySize: number;
}

/** The widest limits any configuration may have: memcached's largest item (`-I 1024m`), any body. */
const ANY_CONFIGURATION = { itemSize: 1024 * 1024 * 1024, maxBodySize: Number.MAX_SAFE_INTEGER };

/** Seconds chunks outlive their manifest, so a manifest never expires after its parts (TTLs are whole seconds). */
const CHUNK_GRACE = 2;

export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

/** Reads and writes stored responses, Vary pointers and chunked bodies. */
export class EntryStore {
  private readonly batcher: GetBatcher;
  private readonly metas = new MetaMemo(1000);

  constructor(
    private readonly client: CacheClient,
    private readonly keys: KeySpace,
    private readonly options: EntryStoreOptions,
  ) {
    this.batcher = new GetBatcher(client);
  }

  /**
   * Finds the stored response for `request`: one `get` for the entry (the hit path's only round
   * trip), one more through a Vary pointer, one for tag generations, one for chunks.
   */
  async lookup(resource: string, request: CacheRequest, budget: Budget, needBody = true): Promise<Lookup> {
    const entryKey = this.keys.entry(resource);
    let value: unknown;
    let generation: string | undefined;
    try {
      // Both in the same batch, so in the same `get` line: the generation costs no round trip.
      const [entryValue, generationValue] = await Promise.all([
        this.batcher.get(entryKey),
        this.batcher.get(this.keys.generation(resource)),
      ]);
      value = entryValue;
      generation = generationOf(generationValue);
    } catch (error) {
      // The client could not decode the item (it inflates past its maxInflatedSize): not an entry.
      if (!isCodecError(error)) return { failed: true, error, key: entryKey };
      this.discard(entryKey);
      value = undefined;
    }
    let record: CacheRecord | undefined = this.decode(entryKey, value);
    let key = entryKey;
    let pointer: VaryPointer | undefined;
    const found = (entry?: StoredEntry): Lookup => ({ failed: false, key, pointer, entry });
    try {
      if (record?.meta.kind === 'vary') {
        // A pointer of an older generation leads to variants an invalidation dropped (maybe on another host).
        if (record.meta.nonce !== generation) return found();
        pointer = record.meta;
        key = this.keys.variant(resource, pointer.nonce, varyDigest(pointer.vary, request.headers));
        record = this.decode(key, await this.client.get(key, spend(budget)));
      } else if (record?.meta.kind === 'entry' && record.meta.generation !== generation) {
        return found();
      }
      if (record === undefined) return found();
      if (record.meta.kind !== 'entry') {
        // A pointer where a variant belongs: not something this cache writes.
        this.discard(key);
        return found();
      }
      const { meta } = record;
      if (meta.tags !== undefined && !(await this.tagsCurrent(meta.tags, budget))) return found();
      let body = record.body;
      if (meta.chunks !== undefined && needBody) {
        body = await this.readChunks(meta, budget);
        if (body === undefined) {
          // A part is gone or is not the part the manifest describes: the manifest can never be served.
          this.discard(key);
          return found();
        }
      }
      return found({ meta, body });
    } catch (error) {
      return { failed: true, error, key, pointer };
    }
  }

  /**
   * The record in `value`; a value that is there but is not a valid record is a miss, and deleted,
   * unless a cache configured with larger `itemSize` / `maxBodySize` (sharing the key prefix, as in
   * a rolling change of options) could have written it: that one is only a miss here.
   */
  private decode(key: string, value: unknown): CacheRecord | undefined {
    const record = decodeRecord(value, { key, metas: this.metas }, this.options);
    if (record === undefined && value !== undefined && value !== null) {
      if (decodeRecord(value, undefined, ANY_CONFIGURATION) === undefined) this.discard(key);
    }
    return record;
  }

  /**
   * Deletes what is at `key` in the background: a forged or broken record would otherwise cost a
   * read and a validation on every request until it expires. Racing a writer costs one miss at most.
   */
  private discard(key: string): void {
    this.client.delete(key).catch(() => {});
  }

  private async tagsCurrent(tags: Record<string, string>, budget: Budget): Promise<boolean> {
    const names = Object.keys(tags);
    if (names.length === 0) return true;
    const keys = names.map((tag) => this.keys.tag(tag));
    const values = await this.client.getMany(keys, spend(budget));
    return names.every((tag, i) => generationOf(values.get(keys[i]!)) === tags[tag]);
  }

  private async readChunks(meta: EntryMeta, budget: Budget): Promise<Buffer | undefined> {
    const { nonce, count, size } = meta.chunks!;
    const keys = Array.from({ length: count }, (_, i) => this.keys.chunk(nonce, i));
    const values = await this.client.getMany(keys, spend(budget));
    const parts: Buffer[] = [];
    for (const [i, key] of keys.entries()) {
      const part = values.get(key);
      // A part evicted or expired before its manifest: the entry is gone, whatever the manifest says.
      if (!(part instanceof Uint8Array)) return undefined;
      // Every part is exactly `size` bytes but the last, which holds the rest (see write()).
      const expected = i < count - 1 ? size : meta.length - size * (count - 1);
      if (part.length !== expected) return undefined;
      parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    }
    return Buffer.concat(parts, meta.length);
  }

  /**
   * Writes a response at `key`: one item when it fits, else (with `largeBodies: 'chunk'`) its parts
   * first and the manifest last. Resolves true when stored.
   */
  async write(
    key: string,
    meta: EntryMeta,
    body: Buffer,
    ttl: number,
    options?: CallOptions,
  ): Promise<boolean> {
    const { itemSize, largeBodies } = this.options;
    // What would not be read back as valid is not written (validate-entry.ts): a Vary field that is
    // not a token, a generation someone else overwrote with text, too many tags, too large.
    if (!this.writable(meta) || body.length !== meta.length) return false;
    if (recordSize(meta, body.length) <= itemSize) {
      return this.client.set(key, encodeRecord(meta, body), { ...options, ttl });
    }
    if (largeBodies === 'skip') return false;
    const nonce = newNonce();
    const count = Math.ceil(body.length / itemSize);
    const manifest: EntryMeta = { ...meta, chunks: { nonce, count, size: itemSize } };
    if (recordSize(manifest, 0) > itemSize) return false;
    const parts = Array.from(
      { length: count },
      (_, i) => [this.keys.chunk(nonce, i), body.subarray(i * itemSize, (i + 1) * itemSize)] as const,
    );
    const outcomes = await this.client.setMany(parts, { ...options, ttl: ttl + CHUNK_GRACE });
    for (const outcome of outcomes.values()) if (!outcome.ok || !outcome.value) return false;
    return this.client.set(key, encodeRecord(manifest), { ...options, ttl });
  }

  /**
   * Stores a prepared response under the resource's generation as read before the origin ran
   * (undefined: it had none, so one is created; if someone else created it first, an invalidation
   * may have come in between and nothing is stored). Writes the entry, or the variant and then its
   * Vary pointer; then checks the generation is unchanged: if an invalidation came in between, what
   * was just written may predate it, and is deleted.
   */
  async persist(resource: string, generation: string | undefined, prepared: Prepared): Promise<void> {
    const { entry, itemTtl, tags } = prepared;
    const generationKey = this.keys.generation(resource);
    const current = generation ?? (await createGeneration(this.client, generationKey));
    if (current === undefined) return;
    const meta: EntryMeta = { ...entry.meta, generation: current };
    if (tags.length > 0) {
      const keys = tags.map((tag) => this.keys.tag(tag));
      const generations = await readGenerations(this.client, keys);
      if (generations.size !== keys.length) return;
      meta.tags = Object.fromEntries(tags.map((tag, i) => [tag, generations.get(keys[i]!)!]));
    }
    const body = entry.body!;
    if (meta.vary.length === 0) {
      await this.write(this.keys.entry(resource), meta, body, itemTtl);
    } else {
      const variant = this.keys.variant(resource, current, meta.varyDigest!);
      if (!(await this.write(variant, meta, body, itemTtl))) return;
      await this.writePointer(resource, { kind: 'vary', vary: meta.vary, nonce: current }, itemTtl);
    }
    if (generationOf(await this.client.get(generationKey)) !== current) {
      await this.client.delete(this.keys.entry(resource));
    }
  }

  private writable(meta: EntryMeta | VaryPointer): boolean {
    return metaFits(meta) && validateMeta(meta, this.options) !== undefined;
  }

  /** Writes a resource's Vary pointer (after its variant, so the pointer never leads nowhere new). */
  async writePointer(
    resource: string,
    pointer: VaryPointer,
    ttl: number,
    options?: CallOptions,
  ): Promise<boolean> {
    if (!this.writable(pointer)) return false;
    return this.client.set(this.keys.entry(resource), encodeRecord(pointer), { ...options, ttl });
  }
}

/** Options for a call made after the first of a request: the rest of the budget, or fail at once. */
function spend(budget: Budget): CallOptions {
  const options = budget.options();
  if (options === undefined) throw new Error('the cache time budget is spent');
  return options;
}

function isCodecError(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === ErrorCodes.CODEC;
}
