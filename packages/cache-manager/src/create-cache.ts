import { EventEmitter } from 'node:events';
import { ConfigError } from '@memwire/core';
import { KeyvMemwire, logUnheardErrors, namespaceKeys } from '@memwire/keyv';
import * as cacheManager from 'cache-manager';
import { Keyv } from 'keyv';
import { DataKeys } from './data-keys.js';
import { WrapLease } from './lease.js';
import { lockSettings, WrapLock } from './lock.js';
import { MemoryTier } from './memory-tier.js';
import { MEMWIRE_CACHE_DEFAULTS, type MemwireCacheOptions } from './options.js';
import { serverSecondsLeft, validExpiry } from './remaining-ttl.js';
import { createWrap, type Found } from './wrap.js';

/** A cache-manager 7 `Cache` over memcached. */
export type MemwireCache = cacheManager.Cache;

/**
 * A cache-manager 7 `Cache` whose store is a Keyv over memcached (`@memwire/keyv`), optionally behind
 * an in-memory first tier. TTLs are milliseconds, as in cache-manager; memcached gets them rounded up
 * to whole seconds, the memory tier exactly. `clear()` clears the namespace, never the server.
 * `wrap` is cache-manager's, plus a TTL-correct fill of the memory tier and an optional
 * cross-process lock (memcached's lease where the server has the meta protocol, else an `add` lock).
 * `ttl(key)` is cache-manager's, corrected by what memcached says the item has left (meta protocol).
 *
 * Keyv reports memcached failures as `'error'` events on the memcached store, the last of
 * `cache.stores`, and answers them as misses; listen there to see them.
 *
 * @example
 * import { createMemwireCache } from '@memwire/cache-manager';
 *
 * const cache = createMemwireCache({ namespace: 'shop', ttl: 60_000, memory: true, lock: true });
 * const product = await cache.wrap('product:1', () => db.products.find(1)); // runs once
 * await cache.get('product:1'); // from memory, then memcached
 * await cache.clear(); // namespace 'shop' only
 * await cache.disconnect();
 */
export function createMemwireCache(options: MemwireCacheOptions = {}): MemwireCache {
  // cache-manager 5 exports a `createCache` too, taking a store: tell the versions apart by what only 6+ has.
  if (!('KeyvAdapter' in cacheManager)) {
    throw new ConfigError(
      'createMemwireCache needs cache-manager 7, and an older one is installed; with cache-manager 5 use memwireStore()',
    );
  }
  const {
    namespace = MEMWIRE_CACHE_DEFAULTS.namespace,
    ttl,
    refreshThreshold,
    refreshAllStores = MEMWIRE_CACHE_DEFAULTS.refreshAllStores,
    nonBlocking = MEMWIRE_CACHE_DEFAULTS.nonBlocking,
    cacheId = Math.random().toString(36).slice(2),
    memory = MEMWIRE_CACHE_DEFAULTS.memory,
    lock = MEMWIRE_CACHE_DEFAULTS.lock,
    ...adapterOptions
  } = options;
  const adapter = new KeyvMemwire({ ...adapterOptions, namespace });
  // Keyv's own prefix off: the adapter's namespace already leads every key.
  const remote = new Keyv({ store: adapter, namespace, useKeyPrefix: false });
  // cache-manager never listens to its tiers' errors: with a logger, the first of each kind is seen.
  logUnheardErrors(remote, adapter.client.logger);
  const stores = memory === false ? [remote] : [memoryKeyv(memory), remote];
  const base = cacheManager.createCache({
    stores,
    ttl,
    refreshThreshold,
    refreshAllStores,
    nonBlocking,
    cacheId,
  });

  const refreshes = new EventEmitter();
  const dataKeys = new DataKeys(adapter);
  const lockOptions = lock === false ? undefined : lock === true ? {} : lock;
  const wrapLock =
    lockOptions === undefined
      ? undefined
      : new WrapLock(
          adapter.client,
          (key) => namespaceKeys(adapter.namespace).reserved('lock', key),
          lockOptions,
        );
  const wrapLease =
    lockOptions === undefined
      ? undefined
      : new WrapLease(adapter.client, dataKeys, (value) => entryOf(remote, value), lockSettings(lockOptions));
  const wrap = createWrap({
    cacheId,
    stores,
    setAll: (key, value, entryTtl) => base.set(key, value, entryTtl),
    ttl,
    refreshThreshold,
    refreshAllStores,
    lock: wrapLock,
    lease: wrapLease,
    onRefresh: (data) => refreshes.emit('refresh', data),
  });
  // `wrap` is memwire's, so its 'refresh' events come from here; every other event from cache-manager.
  const on: MemwireCache['on'] = (event, listener) =>
    event === 'refresh' ? refreshes.on(event, listener) : base.on(event, listener);
  const off: MemwireCache['off'] = (event, listener) =>
    event === 'refresh' ? refreshes.off(event, listener) : base.off(event, listener);
  /**
   * cache-manager's `ttl` (the entry's own `expires`, from the first tier holding it), corrected by
   * what memcached says the item has left where the server has the meta protocol: the entry is gone
   * at the earlier of the two (Keyv drops it past `expires`, memcached at its exptime, which another
   * process may have changed with a touch). memcached is asked in the same round trip, and its answer
   * used only when a tier holds an entry of this cache (another app's item under the key is no entry).
   */
  const expiryOf: MemwireCache['ttl'] = async (key) => {
    const [entryExpiry, seconds] = await Promise.all([
      base.ttl(key).then(validExpiry),
      serverSecondsLeft(adapter.client, dataKeys, key).catch(() => null),
    ]);
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return entryExpiry;
    const serverExpiry = Date.now() + seconds * 1000;
    if (entryExpiry !== undefined) return Math.min(entryExpiry, serverExpiry);
    // No expiry in the entry: one that never expires, or no entry of ours at all.
    const entry = await remote.get(key, { raw: true }).catch(() => undefined);
    return entry?.value === undefined ? undefined : serverExpiry;
  };
  return { ...base, wrap, ttl: expiryOf, on, off };
}

/** A Keyv entry `{ value, expires }` from what memcached holds, if it is one of this cache's, unexpired. */
async function entryOf(remote: Keyv, stored: unknown): Promise<Found['data'] | undefined> {
  try {
    const data = typeof stored === 'string' ? await remote.deserializeData<unknown>(stored) : undefined;
    if (typeof data !== 'object' || data === null || data.value === undefined) return undefined;
    const expires: unknown = data.expires;
    if (expires === undefined || expires === null) return { value: data.value, expires: undefined };
    const valid = validExpiry(expires);
    return valid !== undefined && valid > Date.now() ? { value: data.value, expires: valid } : undefined;
  } catch {
    return undefined;
  }
}

function memoryKeyv(memory: true | Exclude<MemwireCacheOptions['memory'], boolean | undefined>): Keyv {
  return new Keyv({ store: new MemoryTier(memory === true ? {} : memory), useKeyPrefix: false });
}
