import { SingleFlight } from '@memwire/core';
import type { Cache } from 'cache-manager';
import type { Keyv, StoredDataRaw } from 'keyv';
import type { WrapLease } from './lease.js';
import type { WrapLock } from './lock.js';

/** A TTL or refresh threshold in milliseconds, or a function of the value giving one. */
export type PerValue<T> = number | ((value: T) => number);

/** `wrap`'s options object form, as cache-manager 7 takes it. */
export interface MemwireWrapOptions<T> {
  /** Milliseconds, or a function of the result. @default the cache's `ttl` */
  ttl?: PerValue<T> | undefined;
  /** Refresh in the background when less than this many milliseconds are left. @default the cache's `refreshThreshold` */
  refreshThreshold?: PerValue<T> | undefined;
  /** Resolve `{ value, expires }` instead of the value. @default false */
  raw?: boolean | undefined;
}

/** What `wrap` needs of the cache it belongs to. */
export interface WrapContext {
  cacheId: string;
  /** The tiers, fastest first; the last is memcached. */
  stores: Keyv[];
  /** Writes every tier (the cache's own `set`, with its events). */
  setAll: (key: string, value: unknown, ttl: number | undefined) => Promise<unknown>;
  ttl: number | undefined;
  refreshThreshold: number | undefined;
  refreshAllStores: boolean;
  /** The add-lock: on classic servers, and for background refreshes. */
  lock: WrapLock | undefined;
  /** memcached's lease, for a miss on a server with the meta protocol (set together with `lock`). */
  lease: WrapLease<Found['data']> | undefined;
  onRefresh: (data: { key: string; value: unknown; error?: unknown }) => void;
}

export type Found = { index: number; data: StoredDataRaw<unknown> & { value: unknown } };

/** A locked refresh that found the work already done. */
const SKIPPED: unique symbol = Symbol('skipped');

/** Lookups in flight per `cacheId::key`, module-wide like cache-manager's own coalescing. */
const lookups = new SingleFlight<Found['data']>();
/** Background refreshes in flight per `cacheId__key`: one per process at a time. */
const refreshes = new SingleFlight<void>();

function perValue<T>(setting: PerValue<T> | undefined, value: T): number | undefined {
  return typeof setting === 'function' ? setting(value) : setting;
}

/**
 * cache-manager 7's `wrap`, with two things it lacks: an entry found in a slower tier fills the
 * faster ones with its *remaining* TTL (cache-manager gives them the full TTL again, so the memory
 * tier outlives memcached), and, with a `lock`, the processes missing a key at once run the function
 * once between them. The rest is cache-manager's: concurrent callers in one process share one call;
 * an entry with less than `refreshThreshold` left is returned at once and refreshed in the
 * background (once per process; with a lock, once across processes); `raw` returns `{ value, expires }`.
 *
 * With a lock, a miss on a server that speaks the meta protocol goes through memcached's lease
 * ({@link WrapLease}): the memcached tier is read with `mg … N`, which answers the value, or makes
 * this caller the one that computes it, or says another is at it, in one round trip. On a classic
 * server the add-lock ({@link WrapLock}) does the same job with a lock key and polling.
 */
export function createWrap(context: WrapContext): Cache['wrap'] {
  const { stores, lock, lease } = context;
  const memcached = stores[stores.length - 1]!;
  const lastIndex = stores.length - 1;

  /** The first tier from `from` to before `upTo` that holds `key`. */
  const read = async (key: string, from = 0, upTo = stores.length): Promise<Found | undefined> => {
    for (let index = from; index < upTo; index++) {
      try {
        const data = await stores[index]!.get<unknown>(key, { raw: true });
        if (data !== undefined && data.value !== undefined) return { index, data } as Found;
      } catch {
        // A failing tier is a miss, as in cache-manager.
      }
    }
    return undefined;
  };

  /** Fills `tiers` with `data` for the time it has left, not a fresh full TTL. */
  const backfill = async (tiers: Keyv[], key: string, data: Found['data']): Promise<void> => {
    const left = typeof data.expires === 'number' ? Math.max(1, data.expires - Date.now()) : undefined;
    await Promise.all(tiers.map((tier) => tier.set(key, data.value, left)));
  };

  const computeAndStore = async <T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl: PerValue<T> | undefined,
  ): Promise<Found['data']> => {
    const value = await fnc();
    const entryTtl = perValue(ttl, value) ?? context.ttl;
    await context.setAll(key, value, entryTtl);
    return { value, expires: entryTtl !== undefined && entryTtl > 0 ? Date.now() + entryTtl : undefined };
  };

  const miss = async <T>(key: string, fnc: () => T | Promise<T>, ttl: PerValue<T> | undefined) => {
    const compute = () => computeAndStore(key, fnc, ttl);
    if (lock === undefined) return compute();
    return lock.run(key, compute, async () => {
      const data = await memcached.get<unknown>(key, { raw: true });
      if (data === undefined || data.value === undefined) return undefined;
      // Another process computed it: this one's faster tiers get it for the time it has left.
      await backfill(stores.slice(0, -1), key, data as Found['data']);
      return data as Found['data'];
    });
  };

  const refresh = <T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl: PerValue<T> | undefined,
    found: Found,
    threshold: number,
  ) => {
    const run = async () => {
      const value = await fnc();
      const tiers = context.refreshAllStores ? stores : stores.slice(0, found.index + 1);
      const entryTtl = perValue(ttl, value) ?? context.ttl;
      await Promise.all(tiers.map((tier) => tier.set(key, value, entryTtl)));
      return value;
    };
    /** Under the lock: unless another process has refreshed the entry in memcached meanwhile. */
    const runUnlessRefreshed = async () => {
      const current = await memcached.get<unknown>(key, { raw: true });
      const left = typeof current?.expires === 'number' ? current.expires - Date.now() : undefined;
      return left !== undefined && left >= threshold ? SKIPPED : run();
    };
    refreshes
      .run(`${context.cacheId}__${key}`, async () => {
        if (lock === undefined) return context.onRefresh({ key, value: await run() });
        const outcome = await lock.tryRun(key, runUnlessRefreshed);
        // Not run, or skipped: another process is refreshing, or has refreshed, this key for everyone.
        if (outcome.ran && outcome.value !== SKIPPED) context.onRefresh({ key, value: outcome.value });
      })
      .catch((error: unknown) => context.onRefresh({ key, value: found.data.value, error }));
  };

  /**
   * The faster tiers, then memcached through its lease: a value found, or, on a miss, the value this
   * caller computed, another caller's, or the stale one served while another recomputes it.
   */
  const readLeased = async <T>(
    lease: WrapLease<Found['data']>,
    key: string,
    fnc: () => T | Promise<T>,
    ttl: PerValue<T> | undefined,
  ): Promise<Found | { done: Found['data'] }> => {
    const faster = await read(key, 0, lastIndex);
    if (faster !== undefined) return faster;
    // memcached failing: a miss, computed unguarded, as the add-lock does (the cache is best effort).
    const looked = await lease.settle(key).catch(() => ({ kind: 'timeout' }) as const);
    switch (looked.kind) {
      case 'hit':
        return { index: lastIndex, data: looked.entry };
      case 'stale':
        return { done: looked.entry };
      case 'classic': {
        const found = await read(key, lastIndex);
        return found ?? { done: await miss(key, fnc, ttl) };
      }
      case 'won':
        try {
          return { done: await computeAndStore(key, fnc, ttl) };
        } catch (error) {
          // A stale value stays for the others to serve; an empty placeholder would only hold them up.
          if (!looked.stale) await lease.abandon(key);
          throw error;
        }
      case 'timeout':
        return { done: await computeAndStore(key, fnc, ttl) };
    }
  };

  const resolve = async <T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl: PerValue<T> | undefined,
    refreshThreshold: PerValue<T> | undefined,
  ): Promise<Found['data']> => {
    let found: Found | undefined;
    if (lease === undefined) {
      found = await read(key);
      if (found === undefined) return miss(key, fnc, ttl);
    } else {
      const leased = await readLeased(lease, key, fnc, ttl);
      if ('done' in leased) return leased.done;
      found = leased;
    }
    const { data, index } = found;
    const left = typeof data.expires === 'number' ? Math.max(0, data.expires - Date.now()) : undefined;
    const threshold = perValue(refreshThreshold, data.value as T) ?? context.refreshThreshold;
    if (left !== undefined && threshold !== undefined && left < threshold)
      refresh(key, fnc, ttl, found, threshold);
    else if (index > 0) await backfill(stores.slice(0, index), key, data);
    return data;
  };

  async function wrap<T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttlOrOptions?: PerValue<T> | MemwireWrapOptions<T>,
    refreshThresholdParameter?: PerValue<T>,
  ): Promise<T | StoredDataRaw<T>> {
    const options: MemwireWrapOptions<T> =
      typeof ttlOrOptions === 'object' && ttlOrOptions !== null
        ? ttlOrOptions
        : { ttl: ttlOrOptions, refreshThreshold: refreshThresholdParameter };
    const data = await lookups.run(`${context.cacheId}::${key}`, () =>
      resolve(key, fnc, options.ttl, options.refreshThreshold),
    );
    return options.raw === true ? (data as StoredDataRaw<T>) : (data.value as T);
  }
  return wrap as Cache['wrap'];
}
