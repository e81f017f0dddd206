import { ConfigError } from '@memwire/core';
import type { CacheClient } from './client.js';

/**
 * Every option of the HTTP cache, framework-neutral (the Express middleware and other adapters
 * share them). Defaults live in one object, {@link HTTP_CACHE_DEFAULTS}.
 */
export interface HttpCacheOptions {
  /**
   * Freshness lifetime, in seconds, of a response that states none (no `s-maxage`, `max-age` or
   * `Expires`), when the request carried neither `Cookie` nor `Authorization` (or the response says
   * `public`), and only for a status heuristically cacheable by RFC 9110 §15.1 (200, 203, 204, 300,
   * 301, 308, 404, 405, 410, 414, 501). A heuristic RFC 9111 §4.2.2 permits; a route the middleware
   * is put on is one its author wants cached (Varnish, too, gives them its `default_ttl`). 0 stores
   * only responses that state their freshness, as nginx without `proxy_cache_valid` does. @default 60
   */
  ttl?: number | undefined;
  /** Prepended to every key, so several applications can share one memcached. @default 'http:' */
  keyPrefix?: string | undefined;
  /** The header telling HIT, MISS, STALE, BYPASS or REVALIDATED; `false` sends none. @default 'X-Cache' */
  cacheStatusHeader?: string | false | undefined;
  /**
   * The response header an application tags a response with (comma-separated), removed before the
   * response is sent. @default 'X-Cache-Tags'
   */
  tagHeader?: string | undefined;
  /**
   * Ignore the request's `Cache-Control` and `Pragma` (`no-cache`, `no-store`, `max-age`,
   * `only-if-cached`, …), as Varnish, nginx and Fastly do: honoured, they let any client make the
   * application answer again and replace the entry every visitor gets (RFC 9111 allows a cache to
   * honour them, and `false` does). @default true
   */
  ignoreRequestDirectives?: boolean | undefined;
  /**
   * A response larger than one item: `'chunk'` splits it over several items with a manifest written
   * last (a partial write is never served); `'skip'` does not store it. @default 'chunk'
   */
  largeBodies?: 'chunk' | 'skip' | undefined;
  /**
   * Largest item written, in bytes: memcached's item size (`-I`, 1 MiB by default) less room for its
   * item header and the key. @default 1047552 (1 MiB − 1 KiB)
   */
  itemSize?: number | undefined;
  /** Bodies larger than this many bytes are not stored (nor held in memory). @default 8388608 (8 MiB) */
  maxBodySize?: number | undefined;
  /**
   * Across processes, let one request per resource go to the origin on a miss (memcached `add`
   * lock) while the others wait for its response. Within a process, concurrent misses always share
   * one origin call. @default true
   */
  lock?: boolean | undefined;
  /** Seconds the lock lives if its holder never releases it (it died). @default 10 */
  lockTtl?: number | undefined;
  /** Longest a request waits for another process's response, in ms, before going to the origin itself. @default 5000 */
  lockWait?: number | undefined;
  /** How often a waiting request looks for that response, in ms. @default 20 */
  lockPollInterval?: number | undefined;
  /**
   * A 2xx or 3xx answer to any method not known to be safe (all but GET, HEAD, OPTIONS and TRACE,
   * RFC 9110 §9.2.1: POST, PUT, PATCH, DELETE, and unknown ones) invalidates its URL, and its
   * `Location` and `Content-Location` when of the same origin (RFC 9111 §4.4), on every host. @default true
   */
  invalidateOnUnsafe?: boolean | undefined;
  /**
   * The most the cache may add to a request when memcached is slow or down, in ms: set it to the
   * client's `commandTimeout`. @default the client's default commandTimeout (1000)
   */
  commandTimeout?: number | undefined;
  /**
   * This cache's own targeted Cache-Control field (RFC 9213): when a response has it, with a valid
   * value, it replaces `Cache-Control` and `Expires` for this cache only. It is never stored nor sent
   * to the client; `Cache-Control` goes out untouched. `false`: none. @default 'Memwire-Cache-Control'
   */
  targetedCacheControl?: string | false | undefined;
  /**
   * Obey `CDN-Cache-Control` (RFC 9213 §3), after {@link targetedCacheControl}: it replaces
   * `Cache-Control` for this cache and is sent on as it is, for a CDN in front. @default true
   */
  cdnCacheControl?: boolean | undefined;
  /**
   * Most body bytes all responses being captured in this process may hold at once, in bytes: what
   * was kept of each body, until its response has gone out. A response that would go over it is
   * passed through (with the socket's back-pressure) and not stored. Bounds the memory that slow
   * clients can pin: 40 stalled readers of 8 MB pages held ~220 MB without it. The total counts every
   * cache in the process; each cache compares it with its own value. @default 67108864 (64 MiB)
   */
  maxCaptureBytes?: number | undefined;
  /**
   * Seconds a stored 200 with a validator (`ETag` or `Last-Modified`) stays in memcached past its
   * freshness and stale windows, so that once stale it is revalidated (a conditional request; a
   * 304 refreshes it without its body being produced or sent again) rather than fetched whole.
   * Varnish calls this `beresp.keep`; nginx keeps stale items for `inactive` (10 minutes) for
   * `proxy_cache_revalidate`. 0 stores them only as long as they may be served. @default 600
   */
  keep?: number | undefined;
}

/** Every default of {@link HttpCacheOptions}, in one place. */
export const HTTP_CACHE_DEFAULTS = {
  ttl: 60,
  keyPrefix: 'http:',
  cacheStatusHeader: 'X-Cache' as string | false,
  tagHeader: 'X-Cache-Tags',
  ignoreRequestDirectives: true,
  largeBodies: 'chunk' as 'chunk' | 'skip',
  itemSize: 1024 * 1024 - 1024,
  maxBodySize: 8 * 1024 * 1024,
  lock: true,
  lockTtl: 10,
  lockWait: 5000,
  lockPollInterval: 20,
  invalidateOnUnsafe: true,
  commandTimeout: 1000,
  targetedCacheControl: 'Memwire-Cache-Control' as string | false,
  cdnCacheControl: true as boolean,
  maxCaptureBytes: 64 * 1024 * 1024,
  keep: 600 as number,
} as const;

export type HttpCacheConfig = {
  -readonly [K in keyof typeof HTTP_CACHE_DEFAULTS]: (typeof HTTP_CACHE_DEFAULTS)[K];
} & {
  client: CacheClient;
};

/** Options with every default filled in, checked. Throws a ConfigError naming a bad option. */
export function resolveHttpCacheConfig(client: CacheClient, options: HttpCacheOptions = {}): HttpCacheConfig {
  const config = { ...HTTP_CACHE_DEFAULTS, client } as HttpCacheConfig;
  for (const name of Object.keys(HTTP_CACHE_DEFAULTS) as (keyof typeof HTTP_CACHE_DEFAULTS)[]) {
    const value = options[name];
    if (value !== undefined) (config as Record<string, unknown>)[name] = value;
  }
  const nonNegative = ['ttl', 'lockTtl', 'lockWait', 'lockPollInterval', 'commandTimeout'] as const;
  for (const name of nonNegative) {
    if (typeof config[name] !== 'number' || !Number.isFinite(config[name]) || config[name] < 0) {
      throw new ConfigError(`${name} must be a finite number ≥ 0, got ${String(config[name])}`);
    }
  }
  for (const name of ['itemSize', 'maxBodySize'] as const) {
    if (!Number.isSafeInteger(config[name]) || config[name] < 1024) {
      throw new ConfigError(`${name} must be a whole number of bytes ≥ 1024, got ${String(config[name])}`);
    }
  }
  if (!Number.isSafeInteger(config.maxCaptureBytes) || config.maxCaptureBytes < 0) {
    throw new ConfigError(
      `maxCaptureBytes must be a whole number of bytes ≥ 0, got ${String(config.maxCaptureBytes)}`,
    );
  }
  if (typeof config.keyPrefix !== 'string' || !/^[\x21-\x7e]*$/.test(config.keyPrefix)) {
    throw new ConfigError(
      'keyPrefix must be printable ASCII without spaces (memcached keys cannot hold others)',
    );
  }
  if (config.largeBodies !== 'chunk' && config.largeBodies !== 'skip') {
    throw new ConfigError(`largeBodies must be 'chunk' or 'skip', got ${String(config.largeBodies)}`);
  }
  if (typeof config.cdnCacheControl !== 'boolean') {
    throw new ConfigError(`cdnCacheControl must be a boolean, got ${String(config.cdnCacheControl)}`);
  }
  const { targetedCacheControl } = config;
  if (targetedCacheControl !== false && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(String(targetedCacheControl))) {
    throw new ConfigError(
      `targetedCacheControl must be a header name or false, got ${String(targetedCacheControl)}`,
    );
  }
  // memcached reads a TTL above 30 days as an absolute Unix time (protocol.txt, "Expiration times").
  if (!Number.isSafeInteger(config.keep) || config.keep < 0 || config.keep > 86_400) {
    throw new ConfigError(
      `keep must be a whole number of seconds from 0 to 86400, got ${String(config.keep)}`,
    );
  }
  return config;
}

/** The targeted fields a cache obeys (RFC 9213 §2.1), lower-case, in precedence order. */
export function targetedFields(config: HttpCacheConfig): string[] {
  const fields: string[] = [];
  if (config.targetedCacheControl !== false) fields.push(config.targetedCacheControl.toLowerCase());
  if (config.cdnCacheControl) fields.push('cdn-cache-control');
  return fields;
}

/**
 * The fields the cache reads from a response but never sends (lower-case): the tag header, and its
 * own targeted Cache-Control (RFC 9213 §2.1 lets a cache forward it; it has no reader beyond).
 * `CDN-Cache-Control` is sent on: the CDN in front is its reader.
 */
export function unsentFields(config: HttpCacheConfig): { tagHeader: string; notSent: string[] } {
  const { targetedCacheControl } = config;
  return {
    tagHeader: config.tagHeader.toLowerCase(),
    notSent: targetedCacheControl === false ? [] : [targetedCacheControl.toLowerCase()],
  };
}
