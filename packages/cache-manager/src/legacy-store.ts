import { InvalidValueError, UnsupportedCommandError, type Value } from '@memwire/core';
import { KeyvMemwire, type KeyvMemwireOptions, type MemwireClient } from '@memwire/keyv';
import { DataKeys } from './data-keys.js';
import { serverSecondsLeft } from './remaining-ttl.js';

/**
 * What `ttl(key)` resolves when there is no remaining TTL to tell: the server has no meta protocol
 * (memcached's classic commands cannot read a key's TTL), the key never expires, or it is missing.
 * cache-manager 5 reads -1 as "unknown" and then skips `wrap`'s background refresh, which is right
 * for each of the three.
 */
export const TTL_UNKNOWN = -1;

/**
 * Options of {@link memwireStore}: memwire's, every `@memwire/core` client option but `ttl`, and the
 * cache-manager 5 config it is called with (`ttl`, `isCacheable`; the rest is cache-manager's own).
 * TTLs are milliseconds. Defaults: {@link MEMWIRE_STORE_DEFAULTS}.
 *
 * @example
 * memwireStore({ servers: 'cache:11211', namespace: 'api', ttl: 30_000 });
 */
export interface MemwireStoreOptions extends Omit<KeyvMemwireOptions, 'throwOnErrors'> {
  /**
   * The namespace of every key; `reset()` clears it and nothing else.
   * @default 'cache-manager'
   */
  namespace?: string | undefined;
  /**
   * Default TTL in milliseconds, for `set`/`mset` without one.
   * @default undefined (never expire)
   */
  ttl?: number | undefined;
  /**
   * Which values may be stored; `set` of another rejects.
   * @default value !== undefined
   */
  isCacheable?: ((value: unknown) => boolean) | undefined;
  /** cache-manager 5's own (`wrap`'s), ignored by the store. */
  refreshThreshold?: number | undefined;
  /** cache-manager 5's own, ignored by the store. */
  onBackgroundRefreshError?: ((error: unknown) => void) | undefined;
  /** `@nestjs/cache-manager`'s own (`CacheModule.register({ store: memwireStore, … })`), ignored. */
  store?: unknown;
  /** `@nestjs/cache-manager`'s own, ignored. */
  isGlobal?: boolean | undefined;
  /** cache-manager's memory store's entry limit; memcached has none, so it is ignored. */
  max?: number | undefined;
}

/** The store's defaults; the client's are the core's `DEFAULT_OPTIONS`. */
export const MEMWIRE_STORE_DEFAULTS = {
  namespace: 'cache-manager',
  ttl: undefined,
  isCacheable: (value: unknown): boolean => value !== undefined,
} as const;

/**
 * cache-manager 5's `Store` over memcached, for `caching()` / `createCache()` and
 * `@nestjs/cache-manager` 2 (Nest 9 and 10). Failures reject, as cache-manager 5 expects of a store.
 * Where memcached cannot answer, the types say so: `keys()` always rejects (`Promise<never>`).
 * `ttl()` answers from the meta protocol where the server has it, else {@link TTL_UNKNOWN}.
 */
export interface MemwireStore {
  /** cache-manager's store name. */
  readonly name: 'memwire';
  /** The memcached client the store speaks through. */
  readonly client: MemwireClient;
  /** Whether `value` may be stored (the `isCacheable` option). */
  isCacheable(value: unknown): boolean;
  /** The value of `key`, or `undefined`. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `data` for `ttl` ms (the store's default when absent; 0 = never expire). */
  set<T>(key: string, data: T, ttl?: number): Promise<void>;
  /** Deletes `key`. */
  del(key: string): Promise<void>;
  /** Clears the namespace (its generation moves on); other namespaces and apps keep their keys. */
  reset(): Promise<void>;
  /** Stores every `[key, value]`, all servers in parallel. */
  mset(entries: Array<[string, unknown]>, ttl?: number): Promise<void>;
  /** The values of `keys`, `undefined` for misses, in one multi-key `get`. */
  mget(...keys: string[]): Promise<unknown[]>;
  /** Deletes every key, all servers in parallel. */
  mdel(...keys: string[]): Promise<void>;
  /** Always rejects with `ERR_MEMWIRE_UNSUPPORTED`: memcached cannot list its keys. */
  keys(pattern?: string): Promise<never>;
  /**
   * Milliseconds `key` has left, as memcached counts them (whole seconds, `mg <key> t`), so that
   * `wrap`'s `refreshThreshold` works; {@link TTL_UNKNOWN} for a key that never expires or is
   * missing, and on a server without the meta protocol (memcached < 1.6.10, twemproxy,
   * `protocol: 'classic'`), where nothing is sent. Other failures reject, like every method here.
   */
  ttl(key: string): Promise<number>;
  /** Closes the client if the store created it. */
  disconnect(): Promise<void>;
}

/**
 * A cache-manager 5 store over memcached. Values are stored with the core's codec, as
 * `@memwire/core` would store them (strings as text, objects as JSON, Buffers as bytes), so other
 * memwire clients read them as they are.
 *
 * @example
 * import { caching } from 'cache-manager'; // 5.x
 * import { memwireStore } from '@memwire/cache-manager';
 *
 * const cache = await caching(memwireStore, { servers: 'cache:11211', ttl: 60_000 });
 * await cache.set('greeting', 'hello');
 * await cache.wrap('report', () => buildReport()); // runs once per process while cached
 * await cache.reset(); // this namespace only
 *
 * // @nestjs/cache-manager 2: CacheModule.register({ store: memwireStore, servers: 'cache:11211', ttl: 60_000 })
 */
export function memwireStore(options: MemwireStoreOptions = {}): MemwireStore {
  const {
    namespace = MEMWIRE_STORE_DEFAULTS.namespace,
    ttl: defaultTtl,
    isCacheable = MEMWIRE_STORE_DEFAULTS.isCacheable,
    // cache-manager 5's and Nest's options that are not the client's.
    refreshThreshold: _refreshThreshold,
    onBackgroundRefreshError: _onBackgroundRefreshError,
    store: _store,
    isGlobal: _isGlobal,
    max: _max,
    ...adapterOptions
  } = options;
  const adapter = new KeyvMemwire({ ...adapterOptions, namespace, throwOnErrors: true });
  const checked = (value: unknown): Value => {
    // The value itself may be a secret (a token, a session): name its type and size only.
    if (!isCacheable(value)) throw new InvalidValueError(`value is not cacheable: ${describeValue(value)}`);
    return value as Value;
  };
  const ttlOf = (ttl: number | undefined) => ttl ?? defaultTtl;
  const dataKeys = new DataKeys(adapter);
  return {
    name: 'memwire',
    client: adapter.client,
    isCacheable,
    get: (key) => adapter.get(key),
    async set(key, data, ttl) {
      await adapter.set(key, checked(data), ttlOf(ttl));
    },
    async del(key) {
      await adapter.delete(key);
    },
    reset: () => adapter.clear(),
    async mset(entries, ttl) {
      const list = entries.map(([key, value]) => ({ key, value: checked(value), ttl: ttlOf(ttl) }));
      await adapter.setMany(list);
    },
    mget: (...keys) => adapter.getMany(keys),
    async mdel(...keys) {
      await adapter.deleteMany(keys);
    },
    keys: () =>
      Promise.reject(
        new UnsupportedCommandError(
          'memcached cannot list its keys (stats cachedump is partial and unsafe); keep an index of your own if you need one',
        ),
      ),
    async ttl(key) {
      const seconds = await serverSecondsLeft(adapter.client, dataKeys, key);
      return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : TTL_UNKNOWN;
    },
    disconnect: () => adapter.disconnect(),
  };
}

/** What a refused value is, without its contents: `string of 20 characters`, `Buffer of 3 bytes`, `Map`. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `string of ${value.length} characters`;
  if (Buffer.isBuffer(value)) return `Buffer of ${value.length} bytes`;
  if (value instanceof Uint8Array) return `${value.constructor.name} of ${value.byteLength} bytes`;
  if (Array.isArray(value)) return `array of ${value.length} items`;
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
