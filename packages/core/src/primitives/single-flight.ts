/**
 * Per-process single flight, keyed: while one run for a key is in progress, other callers for that
 * key join its outcome instead of starting their own. Two shapes, one map of flights:
 * - `run(key, fn)` when the outcome is one function's promise (fulfilled or rejected, it is shared);
 * - `lead(key)` → `land(outcome)` when the leader's outcome arrives later than any one call returns
 *   (an HTTP response captured after the handler ran), with `join(key)` / `busy(key)` for the others.
 * A flight ends when it settles: the next caller starts a new one, so nothing is cached here.
 *
 * @example
 * const flights = new SingleFlight<User>();
 * const user = await flights.run(`user:${id}`, () => loadUser(id)); // concurrent callers share one load
 *
 * @example
 * const land = flights.lead(key);   // this caller leads; others get `flights.join(key)`
 * land(await produce());            // every joiner gets this outcome
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** The outcome of `key`'s flight in progress, or undefined when there is none. */
  join(key: string): Promise<T> | undefined {
    return this.flights.get(key);
  }

  /** Whether a flight for `key` is in progress. */
  busy(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * Joins `key`'s flight, or starts one running `fn` (called at once, in this tick). Its callers all
   * get `fn`'s outcome, a rejection included.
   */
  run(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.flights.get(key);
    if (running !== undefined) return running;
    let flight: Promise<T>;
    try {
      flight = fn();
    } catch (error) {
      // A function that throws before returning its promise fails its flight like one that rejects.
      flight = Promise.reject(error);
    }
    const tracked = flight.finally(() => this.end(key, tracked));
    this.flights.set(key, tracked);
    return tracked;
  }

  /**
   * Starts `key`'s flight and returns the function that lands it: its joiners get what `land` is
   * given; landing twice does nothing. A flight already in progress is replaced (its own `land`
   * still reaches its own joiners, and no longer ends the new flight).
   */
  lead(key: string): (outcome: T) => void {
    let resolve!: (outcome: T) => void;
    const flight = new Promise<T>((r) => {
      resolve = r;
    });
    this.flights.set(key, flight);
    let landed = false;
    return (outcome) => {
      if (landed) return;
      landed = true;
      this.end(key, flight);
      resolve(outcome);
    };
  }

  /** Ends `flight`, unless a newer flight for `key` has replaced it. */
  private end(key: string, flight: Promise<T>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }
}
