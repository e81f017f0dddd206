import { Keyv } from 'keyv';
import { KeyvMemwire } from './adapter.js';
import type { KeyvMemwireOptions } from './options.js';
import { logUnheardErrors } from './unheard-errors.js';

/** Options of {@link createKeyv}: the adapter's and the client's, plus Keyv's own `namespace` and `ttl`. */
export interface CreateKeyvOptions extends KeyvMemwireOptions {
  /**
   * Keyv's namespace, which the adapter puts in front of every key and `clear()` clears.
   * @default 'keyv' (Keyv's own default)
   * @example createKeyv({ namespace: 'sessions' })
   */
  namespace?: string | undefined;
  /**
   * Keyv's default TTL in milliseconds (the client's own `ttl`, in seconds, is not used here).
   * @default undefined (never expire)
   * @example createKeyv({ ttl: 60_000 })
   */
  ttl?: number | undefined;
}

/** Keyv's default namespace, which `createKeyv` keeps. */
export const DEFAULT_KEYV_NAMESPACE = 'keyv';

/**
 * A ready Keyv over memcached: a {@link KeyvMemwire} adapter in the given namespace, with Keyv's own
 * key prefixing off (the adapter's namespace does that job, as @keyv/redis's `createKeyv` does), so
 * keys are not prefixed twice. Uses the `keyv` your app installed (5.6 or 6.1).
 *
 * @param options - adapter, client and Keyv options, or a `memcache://` URL. Nothing: the
 *   environment (`MEMCACHIER_*` / `MEMCACHE_*`), else `127.0.0.1:11211`.
 * @example
 * import { createKeyv } from '@memwire/keyv';
 *
 * const keyv = createKeyv<{ name: string }>({ namespace: 'users', ttl: 60_000 });
 * keyv.on('error', (error) => console.error(error));
 * await keyv.set('1', { name: 'Ada' });
 * await keyv.get('1'); // { name: 'Ada' }
 */
export function createKeyv<T = unknown>(options: CreateKeyvOptions | string = {}): Keyv<T> {
  const settings = typeof options === 'string' ? { servers: options } : options;
  const { namespace = DEFAULT_KEYV_NAMESPACE, ttl, ...adapterOptions } = settings;
  const store = new KeyvMemwire({ ...adapterOptions, namespace });
  const keyv = new Keyv<T>({ store, namespace, ttl, useKeyPrefix: false });
  logUnheardErrors(keyv, store.client.logger);
  return keyv;
}
