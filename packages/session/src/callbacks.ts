/** A Node-style callback, as express-session and @fastify/session pass them. */
export type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * Calls `callback` with an outcome (`error` null for success). The store calls its callbacks from
 * promise reactions, where a throw would become a rejection nobody holds: a callback that throws is
 * an uncaught exception instead, as in any Node callback API, and is never called a second time.
 */
export function answer<T>(callback: Callback<T>, error: unknown, value?: T): void {
  try {
    callback(error, value);
  } catch (thrown) {
    process.nextTick(rethrow, thrown);
  }
}

function rethrow(thrown: unknown): never {
  throw thrown;
}

/**
 * A failure whose value is falsy (a serializer's `throw null`, a client rejecting with `undefined`),
 * as a callback gets it: a callback reads a falsy error as success, so, as `util.callbackify` does,
 * it gets an Error holding the value as `reason`, under Node's own code for it. The promise form
 * rejects with the value itself.
 */
export class FalsyFailureError extends Error {
  readonly code = 'ERR_FALSY_VALUE_REJECTION';
  constructor(readonly reason: unknown) {
    super(`the session store's work failed with a falsy value (${String(reason)})`);
    this.name = 'FalsyFailureError';
  }
}

/**
 * What the store passes on for anything thrown or rejected: the value itself, or a FalsyFailureError
 * for a falsy one, so that inside the store `null` as the error means success and nothing else.
 */
export function failureOf(thrown: unknown): unknown {
  return thrown ? thrown : new FalsyFailureError(thrown);
}

/**
 * The outcome of the callback-style `start` as a promise, for callers that pass no callback. The
 * store's work is written for callbacks because express-session and @fastify/session, its callers,
 * pass them: each promise between memcached's reply and the caller is an allocation and a microtask
 * per request (issue 14's bench).
 */
export function promiseOf<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => {
      // null is success: every failure reaches here through failureOf.
      if (error === null) resolve(value as T);
      else reject(error instanceof FalsyFailureError ? error.reason : error);
    });
  });
}

/** The promise when there is no callback; else `undefined`, and the outcome goes to the callback. */
export function deliver<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (callback === undefined) return work;
  work.then(
    (value) => answer(callback, null, value),
    (error: unknown) => answer(callback, failureOf(error)),
  );
  return undefined;
}
