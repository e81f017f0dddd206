import type { Client, ClientOptions, Value } from '@memwire/core';

/** Options of {@link cacheRouter}; defaults in {@link CACHE_ROUTER_DEFAULTS}. */
export interface CacheRouterOptions {
  /**
   * The API key(s) a request must present in `apiKeyHeader`, compared in constant time; `false`
   * serves without one (only behind something else that authenticates). Required: a router without
   * it throws, so the cache is never exposed by omission.
   */
  apiKey: string | readonly string[] | false;
  /** The header carrying the API key. @default 'X-Api-Key' */
  apiKeyHeader?: string | undefined;
  /** Allow `DELETE /` to flush every server (`flush_all`: every key of every application). @default false */
  allowFlush?: boolean | undefined;
  /** Largest request body read, in bytes; larger ones get 413. @default 8388608 (8 MiB) */
  maxBodySize?: number | undefined;
  /**
   * The client values are stored with (JSON values round-trip with their types under the default
   * codec). You close it. @default a client created from `memcached`, closed by `close()`
   */
  client?: Client<Value, unknown> | undefined;
  /**
   * Options of the client the router creates when `client` is not given.
   * @default {} — the environment's `MEMCACHE_*`, else 127.0.0.1:11211, and `maxValueSize` 1047552
   * (memcached's 1 MiB item less room for its item header and the key, so a value memcached would
   * refuse gets 413 before it is sent), and `unrefWhenIdle: true` (its idle sockets never keep the
   * process alive, so an app that closes its HTTP server exits even if it forgot `close()`)
   */
  memcached?: Omit<ClientOptions<Value, Value>, 'codec'> | undefined;
  /**
   * Put in front of every key the router reads or writes, so the API key grants this prefix only:
   * not the pages of `responseCache` (`http:`), Keyv's sessions and generations or cache-manager's
   * values on the same memcached. It is the router's own, added before the client's `keyPrefix` (a
   * given client's prefix still applies on top); keys in answers are the caller's, without it.
   * `''` opts into the whole keyspace: anyone with the API key can then forge a cached page or
   * bring back a cleared session. Printable ASCII without spaces.
   * @default 'rest:'
   */
  keyPrefix?: string | undefined;
  /**
   * With `apiKey: false`, serve requests a browser marks `Sec-Fetch-Site: cross-site` (else 403).
   * Such a router trusts whatever authenticates in front of it, typically a cookie, which a browser
   * attaches to requests any site makes; refusing cross-site requests stops those (as the Fetch
   * Metadata resource-isolation policy does). Set it when a front that checks a bearer token serves
   * a page on another site. Ignored with an API key: a browser sends one only after a CORS preflight.
   * @default false
   */
  allowCrossSite?: boolean | undefined;
}

export const CACHE_ROUTER_DEFAULTS = {
  apiKeyHeader: 'X-Api-Key',
  allowFlush: false,
  maxBodySize: 8 * 1024 * 1024,
  maxValueSize: 1024 * 1024 - 1024,
  keyPrefix: 'rest:',
  allowCrossSite: false,
} as const;
