/** A Node-style callback, as express-session and @fastify/session pass them. */
export type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * The promise when there is no callback; else `undefined`, and the outcome goes to the callback.
 * With a callback the promise is not handed out, so its rejection must not be either: express-session
 * ignores what a store method returns, and an unheld rejection would crash the process. A callback
 * that throws is an uncaught exception, as in any Node callback API, not a rejection nobody holds.
 */
export function deliver<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (callback === undefined) return work;
  work
    .then(
      (value) => callback(null, value),
      (error: unknown) => callback(error),
    )
    .catch((thrown: unknown) =>
      process.nextTick(() => {
        throw thrown;
      }),
    );
  return undefined;
}
