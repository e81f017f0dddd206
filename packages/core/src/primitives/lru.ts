/** Options of an {@link Lru}. */
export interface LruOptions {
  /** Most entries kept; setting one more forgets the least recently used. A whole number ≥ 1. */
  max: number;
  /**
   * Lifetime of an entry set without its own, in milliseconds.
   * @default undefined (entries never expire)
   */
  ttl?: number | undefined;
}

interface Entry<V> {
  value: V;
  /** `performance.now()` deadline (monotonic: a clock step never revives or kills an entry); Infinity for none. */
  expiresAt: number;
}

/**
 * A small in-process LRU on a `Map` (its order is insertion order, so re-inserting an entry marks it
 * the most recently used and the first key is always the least). Expired entries are dropped when
 * touched, not only hidden, so a memo of many short-lived keys does not keep them all.
 *
 * @example
 * const recent = new Lru<string, number>({ max: 1000, ttl: 10_000 });
 * recent.set('a', 1);
 * recent.get('a'); // 1, for 10 s at most
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly max: number;
  private readonly ttl: number;

  constructor(options: LruOptions) {
    if (!Number.isSafeInteger(options.max) || options.max < 1)
      throw new RangeError('Lru max must be a whole number ≥ 1');
    if (options.ttl !== undefined && !(options.ttl > 0))
      throw new RangeError('Lru ttl must be a number of milliseconds > 0');
    this.max = options.max;
    this.ttl = options.ttl ?? Number.POSITIVE_INFINITY;
  }

  /** Entries held now (expired ones included until they are next touched). */
  get size(): number {
    return this.entries.size;
  }

  /** The live value at `key`, now the most recently used; undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Whether a live value is at `key` (without marking it used). */
  has(key: K): boolean {
    return this.live(key) !== undefined;
  }

  /**
   * Sets `key`, the most recently used now, for `ttl` ms (default: the Lru's `ttl`; Infinity for
   * no expiry; 0 or less: expired at once).
   */
  set(key: K, value: V, ttl: number = this.ttl): this {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: performance.now() + Math.max(ttl, 0) });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
    return this;
  }

  /** Forgets `key`; true when it was held. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private live(key: K): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (performance.now() < entry.expiresAt) return entry;
    this.entries.delete(key);
    return undefined;
  }
}
