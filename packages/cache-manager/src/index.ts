export { createMemwireCache, type MemwireCache } from './create-cache.js';
export {
  MEMWIRE_STORE_DEFAULTS,
  type MemwireStore,
  type MemwireStoreOptions,
  memwireStore,
  TTL_UNKNOWN,
} from './legacy-store.js';
export { WRAP_LOCK_DEFAULTS, type WrapLockOptions } from './lock.js';
export { MEMORY_TIER_DEFAULTS, MemoryTier, type MemoryTierOptions } from './memory-tier.js';
export { MEMWIRE_CACHE_DEFAULTS, type MemwireCacheOptions } from './options.js';
export type { MemwireWrapOptions, PerValue } from './wrap.js';
