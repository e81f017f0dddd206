import type { ClientOptions, Value } from '@memwire/core';
import type { MemwireClient } from './generations.js';

/**
 * Options of {@link KeyvMemwire}: the adapter's own, plus every `@memwire/core` client option
 * (`servers`, `username`, `password`, `tls`, `keyPrefix`, `hashLongKeys`, `commandTimeout`,
 * `failover`, …) but `ttl`, used when the adapter creates its client. TTLs come from Keyv, in
 * milliseconds: give Keyv a `ttl` for a default. Defaults: {@link KEYV_MEMWIRE_DEFAULTS} and the
 * core's `DEFAULT_OPTIONS`.
 *
 * @example
 * new KeyvMemwire({ servers: 'cache-1:11211,cache-2:11211', namespace: 'sessions', commandTimeout: 500 });
 */
export interface KeyvMemwireOptions extends Omit<ClientOptions<Value, Value>, 'ttl'> {
  /**
   * A client to use instead of creating one. The client options are then ignored, and
   * `disconnect()` leaves the client open (it is yours to close).
   * @default undefined (the adapter creates a client and closes it on `disconnect()`)
   * @example new KeyvMemwire({ client: createClient({ servers: 'cache:11211' }) })
   */
  client?: MemwireClient | undefined;
  /**
   * The namespace, the first segment of every key, and what `clear()` clears. Keyv sets it: keyv 5
   * to its own namespace (`'keyv'` unless told otherwise), keyv 6 to its namespace when it has one.
   * @default undefined (keys start with `:`; `clear()` still clears only this adapter's keys)
   * @example new KeyvMemwire({ namespace: 'sessions' })
   */
  namespace?: string | undefined;
  /**
   * Rethrow failures after emitting them as `'error'` events. Off, a failed read resolves as a miss
   * and a failed write as `false`, which is what Keyv expects of an adapter; Keyv's own
   * `throwOnErrors` only sees errors that reach it, so turn this on as well to make reads throw.
   * @default false
   * @example new KeyvMemwire({ throwOnErrors: true })
   */
  throwOnErrors?: boolean | undefined;
}

/** The adapter's own defaults; the client's are the core's `DEFAULT_OPTIONS`. */
export const KEYV_MEMWIRE_DEFAULTS = {
  namespace: undefined,
  throwOnErrors: false,
} as const;

/** The options that belong to the client, without the adapter's own. */
export function clientOptionsOf(options: KeyvMemwireOptions): ClientOptions<Value, Value> {
  const { client: _client, namespace: _namespace, throwOnErrors: _throwOnErrors, ...clientOptions } = options;
  // A `ttl` slipped in from untyped code would be seconds; entries without a TTL never expire.
  return { ...clientOptions, ttl: 0 };
}
