// The Node side's view of the Django cache: the same memcached, the same keys and the same value types.
// Both sides read one set of variables: MEMCACHE_SERVERS, DJANGO_CACHE_KEY_PREFIX, DJANGO_CACHE_VERSION.
import { createClient, djangoKeyFunction, pymemcacheCodec } from '@memwire/core';

/** Django's KEY_PREFIX and VERSION, as settings.CACHES['default'] has them (django_app.py). */
export const DJANGO_CACHE = {
  prefix: process.env.DJANGO_CACHE_KEY_PREFIX ?? 'shop',
  version: Number(process.env.DJANGO_CACHE_VERSION ?? 3),
};

/** Django's default TIMEOUT (300 s), so what Node writes expires as what Django writes does. */
const DJANGO_TIMEOUT_SECONDS = 300;

/**
 * A client that reads and writes what Django's PyMemcacheCache does:
 * - `djangoKeyFunction` turns `stock:42` into Django's `make_key` form, `shop:3:stock:42`;
 * - `pymemcacheCodec` speaks pymemcache's flags: str ↔ string, int ↔ number (bigint past 2**53),
 *   bytes ↔ Buffer, and the pickles of float, bool and None. Other pickles are refused, not guessed.
 * Servers and credentials come from the environment, as for any @memwire/core client.
 */
export function createDjangoCache({
  prefix = DJANGO_CACHE.prefix,
  version = DJANGO_CACHE.version,
  ...options
} = {}) {
  return createClient({
    codec: pymemcacheCodec(),
    keyFunction: djangoKeyFunction({ prefix, version }),
    ttl: DJANGO_TIMEOUT_SECONDS,
    ...options,
  });
}
