import {
  createClient,
  type ErrorCode,
  ErrorCodes,
  MemwireError,
  UnsupportedCommandError,
} from '@memwire/core';
import { SessionStoreBase } from './base.js';
import { answer, type Callback, deliver, failureOf, promiseOf } from './callbacks.js';
import { SessionGeneration } from './generation.js';
import {
  clientOptionsOf,
  type MemwireSessionStoreOptions,
  type SessionClient,
  type SessionSerializer,
  type StoredSession,
  type StoreSettings,
  storeSettingsOf,
  type UnavailablePolicy,
} from './options.js';
import { sessionFrom, ttlOf } from './session-data.js';

/** The failures that mean "memcached cannot answer now", which `onUnavailable` decides about. */
const UNAVAILABLE: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.CONNECTION,
  ErrorCodes.TIMEOUT,
  ErrorCodes.QUEUE_FULL,
]);

/**
 * A session store on memcached, through `@memwire/core`, for express-session (it extends
 * express-session's `Store`), @fastify/session and Nest apps on either.
 *
 * - Keys are `keyPrefix` + a generation number + `:` + the session id; `clear()` moves the
 *   generation on (one `incr`), so it clears this store's sessions only, for every process, and
 *   never sends `flush_all`. Reads check the generation alongside their `get`; writes do not, so a
 *   save after a `clear()` of a session loaded before it does not undo the logout.
 * - Each session lives until its cookie expires (`cookie.maxAge`), else `ttl` seconds; `touch`
 *   moves that on with memcached's `touch`, without rewriting the session.
 * - memcached cannot list its keys, so `all()`, `length()` and `ids()` reject with an
 *   `UnsupportedCommandError` (`ERR_MEMWIRE_UNSUPPORTED`).
 * - A value under a session key that is not a session (garbage, another app's data) is a miss.
 * - Memcached down or slow: see `onUnavailable`; failures it drops are emitted as `'unavailable'`.
 *
 * Every method takes a Node-style callback, as express-session calls it, or returns a promise
 * when given none.
 *
 * @example
 * import express from 'express';
 * import session from 'express-session';
 * import { MemwireSessionStore } from '@memwire/session';
 *
 * const app = express();
 * app.use(session({ store: new MemwireSessionStore(), secret: 'a long secret', resave: false, saveUninitialized: false }));
 */
export class MemwireSessionStore extends SessionStoreBase {
  /** The memcached client the store speaks through. */
  readonly client: SessionClient;
  /** The start of every key of this store. @default 'sess:' */
  readonly keyPrefix: string;
  /** What happens when memcached cannot answer. @default 'error' */
  readonly onUnavailable: UnavailablePolicy;
  private readonly ttl: StoreSettings['ttl'];
  private readonly disableTouch: boolean;
  private readonly serializer: SessionSerializer;
  private readonly ownsClient: boolean;
  private readonly generation: SessionGeneration;

  /**
   * @param options - the store's options and the client's. Nothing: a client from the environment
   *   (`MEMCACHIER_*` / `MEMCACHE_*`), else `127.0.0.1:11211`, as the core reads it.
   * @example
   * new MemwireSessionStore({ servers: 'cache-1:11211,cache-2:11211', commandTimeout: 500 });
   */
  constructor(options: MemwireSessionStoreOptions = {}) {
    super();
    const settings = storeSettingsOf(options);
    this.keyPrefix = settings.keyPrefix;
    this.ttl = settings.ttl;
    this.disableTouch = settings.disableTouch;
    this.serializer = settings.serializer;
    this.onUnavailable = settings.onUnavailable;
    // Settings first: a bad option must not leave a client (and its sockets) behind.
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createClient(clientOptionsOf(options));
    // Digits and ':' start every session key after the prefix, so this one never meets a session id.
    this.generation = new SessionGeneration(this.client, `${this.keyPrefix}generation`);
  }

  /**
   * The session stored under `sid`, or `undefined` (a miss: none, expired, cleared, or not a session).
   * @example const session = await store.get(sid);
   */
  get(sid: string): Promise<StoredSession | undefined>;
  get(sid: string, callback: Callback<StoredSession | undefined>): void;
  get(
    sid: string,
    callback?: Callback<StoredSession | undefined>,
  ): Promise<StoredSession | undefined> | undefined {
    if (callback === undefined) return promiseOf((done) => this.read(sid, done));
    this.read(sid, callback);
    return undefined;
  }

  /**
   * Stores `session` under `sid` until its cookie expires, else for `ttl` seconds; an expired
   * cookie deletes it instead.
   * @example await store.set(sid, { cookie: { expires: new Date(Date.now() + 3_600_000) }, user: 'ada' });
   */
  set(sid: string, session: StoredSession): Promise<void>;
  set(sid: string, session: StoredSession, callback: Callback): void;
  set(sid: string, session: StoredSession, callback?: Callback): Promise<void> | undefined {
    if (callback === undefined) return promiseOf((done) => this.write(sid, session, done));
    this.write(sid, session, callback);
    return undefined;
  }

  /**
   * Moves the expiry of `sid`'s session to its cookie's (memcached `touch`: the session is not
   * rewritten). Nothing with `disableTouch`.
   * @example await store.touch(sid, session);
   */
  override touch(sid: string, session: StoredSession): Promise<void>;
  override touch(sid: string, session: StoredSession, callback: Callback): void;
  override touch(sid: string, session: StoredSession, callback?: Callback): Promise<void> | undefined {
    if (callback === undefined) return promiseOf((done) => this.refresh(sid, session, done));
    this.refresh(sid, session, callback);
    return undefined;
  }

  /**
   * Deletes `sid`'s session. Its failure is always reported, whatever `onUnavailable` says: a logout
   * must not look done when it is not.
   * @example await store.destroy(sid);
   */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback): void;
  destroy(sid: string, callback?: Callback): Promise<void> | undefined {
    if (callback === undefined) return promiseOf((done) => this.remove(sid, done));
    this.remove(sid, callback);
    return undefined;
  }

  /**
   * Deletes every session of this store (this `keyPrefix`), for every process, with one `incr`;
   * other prefixes and other apps' keys are untouched. Old items are left to memcached's LRU.
   * @example await store.clear(); // everyone is logged out
   */
  override clear(): Promise<void>;
  override clear(callback: Callback): void;
  override clear(callback?: Callback): Promise<void> | undefined {
    return deliver(this.generation.bump(), callback);
  }

  /**
   * Rejects with an `UnsupportedCommandError`: memcached cannot list its keys.
   * @example await store.all().catch((error) => error.code); // 'ERR_MEMWIRE_UNSUPPORTED'
   */
  override all(): Promise<never>;
  override all(callback: Callback<never>): void;
  override all(callback?: Callback<never>): Promise<never> | undefined {
    return deliver(unsupported('all'), callback);
  }

  /**
   * Rejects with an `UnsupportedCommandError`: memcached cannot count a prefix's keys.
   * @example await store.length().catch((error) => error.code); // 'ERR_MEMWIRE_UNSUPPORTED'
   */
  override length(): Promise<never>;
  override length(callback: Callback<never>): void;
  override length(callback?: Callback<never>): Promise<never> | undefined {
    return deliver(unsupported('length'), callback);
  }

  /**
   * Rejects with an `UnsupportedCommandError`: memcached cannot list its keys.
   * @example await store.ids().catch((error) => error.code); // 'ERR_MEMWIRE_UNSUPPORTED'
   */
  ids(): Promise<never>;
  ids(callback: Callback<never>): void;
  ids(callback?: Callback<never>): Promise<never> | undefined {
    return deliver(unsupported('ids'), callback);
  }

  /**
   * Closes the client if the store created it (a client you passed in stays open).
   * @example await store.close();
   */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private keyOf(generation: number, sid: string): string {
    return `${this.keyPrefix}${generation}:${sid}`;
  }

  // read, write and refresh answer their callback from one reaction on the client's own promise:
  // express-session and @fastify/session pass callbacks, and each promise in between is one more
  // allocation and microtask per request (issue 14's bench). Every path answers exactly once.
  private read(sid: string, callback: Callback<StoredSession | undefined>): void {
    this.generation.checked(
      (generation) => this.client.get(this.keyOf(generation, sid)),
      (error, stored) => {
        let session: StoredSession | undefined;
        try {
          if (error === null) session = sessionFrom(stored, this.serializer);
          // JSON under flag 2 that does not parse is not a session: a miss, as garbage text is.
          else if (!(error instanceof MemwireError && error.code === ErrorCodes.CODEC))
            session = this.whenUnavailable(error, undefined);
        } catch (thrown) {
          answer(callback, failureOf(thrown));
          return;
        }
        answer(callback, null, session);
      },
    );
  }

  private write(sid: string, session: StoredSession, callback: Callback): void {
    let ttl: number;
    let text: string;
    try {
      ttl = ttlOf(session, this.ttl);
      if (ttl <= 0) {
        this.remove(sid, callback);
        return;
      }
      text = this.serializer.stringify(session);
    } catch (error) {
      // A session that cannot be serialised (a cycle, a BigInt) is the caller's error, answered
      // later, as every other outcome is.
      process.nextTick(answer, callback, failureOf(error));
      return;
    }
    this.generation
      .unchecked((generation) => this.client.set(this.keyOf(generation, sid), text, { ttl }))
      .then(
        () => answer(callback, null),
        (error: unknown) => this.answerDropped(failureOf(error), callback),
      );
  }

  private refresh(sid: string, session: StoredSession, callback: Callback): void {
    if (this.disableTouch) {
      process.nextTick(answer, callback, null);
      return;
    }
    let ttl: number;
    try {
      ttl = ttlOf(session, this.ttl);
    } catch (error) {
      process.nextTick(answer, callback, failureOf(error));
      return;
    }
    if (ttl <= 0) {
      this.remove(sid, callback);
      return;
    }
    // false when the item is gone (expired, evicted): express-session writes it again when it changes.
    this.generation
      .unchecked((generation) => this.client.touch(this.keyOf(generation, sid), ttl))
      .then(
        () => answer(callback, null),
        (error: unknown) => this.answerDropped(failureOf(error), callback),
      );
  }

  /** Checked: if the generation moved, the session is deleted under the new one too (a logout must hold). */
  private remove(sid: string, callback: Callback): void {
    this.generation.checked(
      (generation) => this.client.delete(this.keyOf(generation, sid)),
      (error) => answer(callback, error),
    );
  }

  /** A failed write or touch: nothing to `callback` when `onUnavailable` drops it, else the error. */
  private answerDropped(error: unknown, callback: Callback): void {
    try {
      this.whenUnavailable(error, undefined);
    } catch (thrown) {
      answer(callback, failureOf(thrown));
      return;
    }
    answer(callback, null);
  }

  /**
   * `fallback` when memcached could not answer and `onUnavailable` is `'new-session'` (the failure is
   * emitted as `'unavailable'`); else rethrows `error`, which includes every failure that is not
   * memcached's absence (a value too large, a bad key, a closed store).
   */
  private whenUnavailable<T>(error: unknown, fallback: T): T {
    const absent = error instanceof MemwireError && UNAVAILABLE.has(error.code);
    if (!absent || this.onUnavailable === 'error') throw error;
    this.emit('unavailable', error);
    return fallback;
  }
}

function unsupported(method: 'all' | 'length' | 'ids'): Promise<never> {
  return Promise.reject(
    new UnsupportedCommandError(`${method}() cannot be answered: memcached cannot list or count its keys`),
  );
}
