import { Lru } from '@memwire/core';

/** Options of the in-memory first tier. */
export interface MemoryTierOptions {
  /**
   * Most entries kept; the least recently used goes first.
   * @default 1000
   */
  max?: number | undefined;
  /**
   * Longest time an entry stays in memory, in milliseconds, whatever its own TTL. Other processes'
   * `del()` and `clear()` never reach this process's memory, so this bounds how long it can serve a
   * value that is gone from memcached.
   * @default undefined (the entry's own TTL)
   * @example { memory: { max: 5000, ttl: 10_000 } }
   */
  ttl?: number | undefined;
}

/** The memory tier's defaults. */
export const MEMORY_TIER_DEFAULTS = {
  max: 1000,
  ttl: undefined,
} as const;

/**
 * A bounded in-process store for Keyv (Keyv takes any object with `get`/`set`/`delete`/`clear`):
 * least recently used entries go first, and expired ones are dropped, not only hidden, so memory
 * follows the TTLs. Keyv keeps its `{ value, expires }` envelope in it, serialised, so values read
 * from this tier are copies of the same types memcached gives back.
 */
export class MemoryTier {
  /** Keyv sets its namespace here; this store is per cache, so there is nothing to separate. */
  namespace: string | undefined;
  /** Keyv's `opts` convention. */
  readonly opts: { dialect: 'memory'; max: number; ttl: number | undefined };
  private readonly entries: Lru<string, unknown>;

  constructor(options: MemoryTierOptions = {}) {
    const max = options.max ?? MEMORY_TIER_DEFAULTS.max;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('memory.max must be a whole number ≥ 1');
    const ttl = options.ttl ?? MEMORY_TIER_DEFAULTS.ttl;
    if (ttl !== undefined && !(ttl > 0))
      throw new RangeError('memory.ttl must be a number of milliseconds > 0');
    this.opts = { dialect: 'memory', max, ttl };
    this.entries = new Lru({ max });
  }

  /** Entries held now (expired ones included until they are next touched). */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): unknown {
    return this.entries.get(key);
  }

  /** `ttl` in milliseconds, as Keyv passes it; capped by the tier's own `ttl`. */
  set(key: string, value: unknown, ttl?: number): boolean {
    this.entries.set(key, value, Math.min(lifetimeOf(ttl), this.opts.ttl ?? Number.POSITIVE_INFINITY));
    return true;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Keyv's TTL as a lifetime in ms: none or 0 never expires (Keyv's rule); a negative one at once. */
function lifetimeOf(ttl: number | undefined): number {
  if (ttl === undefined || ttl === 0 || Number.isNaN(ttl)) return Number.POSITIVE_INFINITY;
  return Math.max(ttl, 0);
}
