/**
 * Where a namespace's items live in memcached. Every key starts with the namespace, escaped so it
 * holds no `:`, then a second segment that tells the kinds apart:
 *
 * | kind        | key                       | example (namespace `app`)  |
 * | ----------- | ------------------------- | -------------------------- |
 * | data        | `<ns>:<generation>:<key>` | `app:hoczbmnbyg:user:1`    |
 * | generation  | `<ns>:_gen`               | `app:_gen`                 |
 * | other, kept | `<ns>:_<kind>:<key>`      | `app:_lock:user:1`         |
 *
 * The generation is written in base 36 (`[0-9a-z]`), so it never starts with `_`, and the escaped
 * namespace holds no `:`, so the first `:` always ends it: two different (namespace, key) pairs can
 * never meet on one memcached key, whatever characters the namespace or the key contain. The
 * client's `keyPrefix`, when set, comes in front of all of it.
 */
export interface NamespaceKeys {
  /** The escaped namespace, the first segment of every key (empty without a namespace). */
  readonly prefix: string;
  /** The key holding the namespace's generation number. */
  readonly generation: string;
  /** The key of `key`'s value under generation `generation`. */
  data(generation: number, key: string): string;
  /** A key outside the data, for `kind` (letters only), e.g. the locks of `wrap`. */
  reserved(kind: string, key: string): string;
}

/**
 * The keys of `namespace`. `%` and `:` in the namespace are percent-escaped (`%25`, `%3A`) so the
 * mapping stays one-to-one; other characters go through unchanged, so a namespace with a space
 * makes every key invalid (the core then rejects with `ERR_MEMWIRE_INVALID_KEY`).
 *
 * @example
 * namespaceKeys('app').data(1700000000000000, 'user:1'); // 'app:gqll7vatq8:user:1'
 * namespaceKeys('a:b').generation; // 'a%3Ab:_gen'
 */
export function namespaceKeys(namespace: string | undefined): NamespaceKeys {
  const prefix = (namespace ?? '').replaceAll('%', '%25').replaceAll(':', '%3A');
  return {
    prefix,
    generation: `${prefix}:_gen`,
    data: (generation, key) => `${prefix}:${generation.toString(36)}:${key}`,
    reserved: (kind, key) => {
      if (!/^[a-z]+$/i.test(kind)) throw new TypeError(`reserved key kind must be letters, got ${kind}`);
      return `${prefix}:_${kind}:${key}`;
    },
  };
}
