import type { KeyvMemwireOptions } from '@memwire/keyv';
import type { WrapLockOptions } from './lock.js';
import type { MemoryTierOptions } from './memory-tier.js';

/**
 * Options of {@link createMemwireCache}: cache-manager 7's (`ttl`, `refreshThreshold`,
 * `refreshAllStores`, `nonBlocking`, `cacheId`), memwire's own (`namespace`, `memory`, `lock`), and
 * every `@memwire/core` client option but `ttl` (`servers`, `url`, `username`, `password`, `tls`,
 * `keyPrefix`, …) or a `client`. Every TTL here is in milliseconds. Defaults:
 * {@link MEMWIRE_CACHE_DEFAULTS}.
 *
 * @example
 * createMemwireCache({ servers: 'cache:11211', namespace: 'shop', ttl: 60_000, memory: true, lock: true });
 */
export interface MemwireCacheOptions extends Omit<KeyvMemwireOptions, 'namespace' | 'throwOnErrors'> {
  /**
   * The namespace of every key; `clear()` clears it and nothing else.
   * @default 'cache'
   */
  namespace?: string | undefined;
  /**
   * Default TTL in milliseconds (cache-manager's `ttl`).
   * @default undefined (never expire)
   */
  ttl?: number | undefined;
  /**
   * `wrap` refreshes an entry in the background when less than this many milliseconds are left.
   * @default undefined (no background refresh)
   */
  refreshThreshold?: number | undefined;
  /**
   * A background refresh writes every tier, not only the tier it was found in and the faster ones.
   * @default false
   */
  refreshAllStores?: boolean | undefined;
  /**
   * cache-manager's non-blocking mode: reads race the tiers, writes do not wait.
   * @default false
   */
  nonBlocking?: boolean | undefined;
  /**
   * cache-manager's cache id, which scopes `wrap`'s in-process coalescing.
   * @default random
   */
  cacheId?: string | undefined;
  /**
   * An in-memory first tier in front of memcached (cache-manager's multi-store): `true` for the
   * defaults (1000 entries) or its options.
   * @default false
   * @example { memory: { max: 5000, ttl: 10_000 } }
   */
  memory?: boolean | MemoryTierOptions | undefined;
  /**
   * A cross-process lock for `wrap`: of the processes missing a key at once, one runs the function
   * and the others wait for its result. On a server with the meta protocol it is memcached's own
   * lease (`mg … N`, one round trip, no lock key); on a classic one an `add` lock with polling.
   * `true` for the defaults or its options.
   * @default false
   * @example { lock: { ttl: 30_000 } }
   */
  lock?: boolean | WrapLockOptions | undefined;
}

/** The cache's own defaults; the client's are the core's `DEFAULT_OPTIONS`. */
export const MEMWIRE_CACHE_DEFAULTS = {
  namespace: 'cache',
  ttl: undefined,
  refreshThreshold: undefined,
  refreshAllStores: false,
  nonBlocking: false,
  memory: false,
  lock: false,
} as const;
