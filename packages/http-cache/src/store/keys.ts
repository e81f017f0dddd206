import { nameOf } from '../rules/origin.js';

/**
 * The memcached keys of one cache. memcached has no way to list keys, so every key is derived from
 * what a request names: the resource (normalised URL or custom key), a tag, or a random nonce.
 * Resources may exceed memcached's 250 bytes: the client's `hashLongKeys` digests those.
 */
export interface KeySpace {
  /** A stored response, or the Vary pointer of a resource whose responses vary. */
  entry(resource: string): string;
  /**
   * One variant of a varying resource: the pointer's nonce (the resource's generation when the
   * pointer was written) and the digest of the varied request fields.
   */
  variant(resource: string, nonce: string, digest: string): string;
  /**
   * The resource's generation counter: bumping it invalidates every stored response of the resource.
   * It is the counter of the resource's name (see {@link KeySpace.nameGeneration}), whatever its origin.
   */
  generation(resource: string): string;
  /**
   * The generation counter of a name (a path and query, or a custom key) on every origin: hosts are
   * part of the entry keys, but memcached cannot list them, so invalidating `/p` moves on the one
   * counter all of `/p`'s entries are checked against, on any host.
   */
  nameGeneration(name: string): string;
  /** A tag's generation counter. */
  tag(tag: string): string;
  /** The cross-process stampede lock of a resource. */
  lock(resource: string): string;
  /** Part `index` of a body split over several items, written under `nonce`. */
  chunk(nonce: string, index: number): string;
}

/** Printable ASCII without space: what memcached takes in a key. Anything else is base64url-encoded. */
const KEY_SAFE = /^[\x21-\x7e]*$/;

function safe(part: string): string {
  return KEY_SAFE.test(part) ? part : `b64:${Buffer.from(part).toString('base64url')}`;
}

export function createKeySpace(prefix: string): KeySpace {
  return {
    entry: (resource) => `${prefix}e:GET:${safe(resource)}`,
    variant: (resource, nonce, digest) => `${prefix}v:${nonce}:${digest}:${safe(resource)}`,
    generation: (resource) => `${prefix}g:${safe(nameOf(resource))}`,
    nameGeneration: (name) => `${prefix}g:${safe(name)}`,
    tag: (tag) => `${prefix}t:${safe(tag)}`,
    lock: (resource) => `${prefix}l:${safe(resource)}`,
    chunk: (nonce, index) => `${prefix}c:${nonce}:${index}`,
  };
}
