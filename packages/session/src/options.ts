import { type Client, type ClientOptions, ConfigError, type Value } from '@memwire/core';

/** The client the store speaks through: the core's default codec (sessions are stored as text). */
export type SessionClient = Client<Value, Value>;

/**
 * A session as the store sees it: an object with a `cookie`, as express-session and @fastify/session
 * write it (their own types, `SessionData` and `Fastify.Session`, both fit). The other fields are the
 * app's: no index signature here, as those two interfaces have none (TypeScript would refuse them).
 */
export interface StoredSession {
  cookie: {
    expires?: Date | string | null | undefined;
    maxAge?: number | null | undefined;
    originalMaxAge?: number | null | undefined;
  };
}

/** Turns a session into the text stored in memcached, and back. */
export interface SessionSerializer {
  stringify(session: StoredSession): string;
  /** May return anything: what it returns is checked, and a value that is not a session is a miss. */
  parse(text: string): unknown;
}

/**
 * What the store does when memcached cannot answer (a connection refused or broken, a command past
 * the client's `commandTimeout`, a full queue):
 * - `'error'`: the error goes to express-session / @fastify/session, which fail the request (a 5xx
 *   from the app's error handler). The user's session is untouched and works again once memcached does.
 * - `'new-session'`: a read is a miss (the request carries on with a new, empty session: the user
 *   looks logged out), and a failed write or touch is dropped; each is reported as an
 *   `'unavailable'` event. `destroy` (logout) always reports its error: a logout must never look
 *   done when it is not.
 */
export type UnavailablePolicy = 'error' | 'new-session';

/**
 * Options of {@link MemwireSessionStore}: the store's own, plus every `@memwire/core` client option
 * (`servers`, `username`, `password`, `tls`, `commandTimeout`, `failover`, …) but `ttl`, `keyPrefix` and
 * `codec`, used when the store creates its client. Defaults: {@link SESSION_STORE_DEFAULTS} and the
 * core's `DEFAULT_OPTIONS`.
 *
 * @example
 * new MemwireSessionStore({ servers: 'cache:11211', keyPrefix: 'shop:sess:', ttl: 3600 });
 */
export interface MemwireSessionStoreOptions
  extends Omit<ClientOptions<Value, Value>, 'ttl' | 'keyPrefix' | 'codec'> {
  /**
   * A client to use instead of creating one. The client options are then ignored, and `close()`
   * leaves the client open (it is yours to close). Its own `keyPrefix`, if any, comes before the store's.
   * @default undefined (the store creates a client from the options, else the environment)
   * @example new MemwireSessionStore({ client: createClient({ servers: 'cache:11211' }) })
   */
  client?: SessionClient | undefined;
  /**
   * The start of every key the store writes, and what `clear()` clears: stores with different
   * prefixes on one memcached never see each other's sessions.
   * @default 'sess:'
   * @example new MemwireSessionStore({ keyPrefix: 'admin:sess:' })
   */
  keyPrefix?: string | undefined;
  /**
   * Seconds a session lives when its cookie has no `expires` (express-session's `cookie.maxAge`
   * unset: a browser-session cookie), as connect-redis and connect-memcached count it. A function
   * gets the session. A cookie's `expires` always wins.
   * @default 86400 (one day)
   * @example new MemwireSessionStore({ ttl: (session) => (session.admin ? 900 : 86400) })
   */
  ttl?: number | ((session: StoredSession) => number) | undefined;
  /**
   * Makes `touch` do nothing, so an unchanged session expires at the TTL of its last write instead
   * of living as long as it is used (connect-redis's option of the same name).
   * @default false
   * @example new MemwireSessionStore({ disableTouch: true })
   */
  disableTouch?: boolean | undefined;
  /**
   * Text in memcached, and back. What `parse` returns is checked: anything but an object with a
   * `cookie` object is a miss, never a crash.
   * @default JSON
   * @example new MemwireSessionStore({ serializer: { stringify: JSON.stringify, parse: JSON.parse } })
   */
  serializer?: SessionSerializer | undefined;
  /**
   * What happens when memcached is down or slow: see {@link UnavailablePolicy}. Either way the
   * request gets an answer within the client's `commandTimeout`.
   * @default 'error'
   * @example new MemwireSessionStore({ onUnavailable: 'new-session' })
   */
  onUnavailable?: UnavailablePolicy | undefined;
}

/** The store's own defaults; the client's are the core's `DEFAULT_OPTIONS`. */
export const SESSION_STORE_DEFAULTS = {
  keyPrefix: 'sess:',
  ttl: 86_400,
  disableTouch: false,
  serializer: { stringify: (session: StoredSession) => JSON.stringify(session), parse: JSON.parse },
  onUnavailable: 'error',
} as const satisfies {
  keyPrefix: string;
  ttl: number;
  disableTouch: boolean;
  serializer: SessionSerializer;
  onUnavailable: UnavailablePolicy;
};

/** The store's own settings, defaults filled in. */
export interface StoreSettings {
  keyPrefix: string;
  ttl: number | ((session: StoredSession) => number);
  disableTouch: boolean;
  serializer: SessionSerializer;
  onUnavailable: UnavailablePolicy;
}

/**
 * The store's settings from `options` and {@link SESSION_STORE_DEFAULTS}. Throws a `ConfigError` for
 * a value that would misbehave later rather than at start: a `ttl` of 0 or less would delete every
 * session it saves, an unknown `onUnavailable` would silently act as `'error'`.
 */
export function storeSettingsOf(options: MemwireSessionStoreOptions): StoreSettings {
  const settings: StoreSettings = {
    keyPrefix: options.keyPrefix ?? SESSION_STORE_DEFAULTS.keyPrefix,
    ttl: options.ttl ?? SESSION_STORE_DEFAULTS.ttl,
    disableTouch: options.disableTouch ?? SESSION_STORE_DEFAULTS.disableTouch,
    serializer: options.serializer ?? SESSION_STORE_DEFAULTS.serializer,
    onUnavailable: options.onUnavailable ?? SESSION_STORE_DEFAULTS.onUnavailable,
  };
  if (typeof settings.keyPrefix !== 'string') throw new ConfigError('keyPrefix must be a string');
  if (typeof settings.ttl !== 'function' && !(Number.isFinite(settings.ttl) && settings.ttl > 0))
    throw new ConfigError(
      `ttl must be a number of seconds above 0, or a function; got ${String(settings.ttl)}`,
    );
  if (
    typeof settings.serializer?.stringify !== 'function' ||
    typeof settings.serializer?.parse !== 'function'
  )
    throw new ConfigError('serializer must have stringify() and parse()');
  if (settings.onUnavailable !== 'error' && settings.onUnavailable !== 'new-session')
    throw new ConfigError(
      `onUnavailable must be 'error' or 'new-session'; got ${String(settings.onUnavailable)}`,
    );
  return settings;
}

/** The options that belong to the client, without the store's own. */
export function clientOptionsOf(options: MemwireSessionStoreOptions): ClientOptions<Value, Value> {
  const {
    client: _client,
    keyPrefix: _keyPrefix,
    ttl: _ttl,
    disableTouch: _disableTouch,
    serializer: _serializer,
    onUnavailable: _onUnavailable,
    ...clientOptions
  } = options;
  // Untyped code could slip these in: the store sets every TTL itself, and prefixes keys itself.
  return { ...clientOptions, ttl: 0, keyPrefix: '', codec: undefined };
}
