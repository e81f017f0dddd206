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
  // One reaction, not .then().catch(): this runs on every get and set express-session makes.
  work.then(
    (value) => call(() => callback(null, value)),
    (error: unknown) => call(() => callback(error)),
  );
  return undefined;
}

/** Runs `answer`; a throw from the callback in it is an uncaught exception, on the next tick. */
function call(answer: () => void): void {
  try {
    answer();
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
