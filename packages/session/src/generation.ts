import { GenerationCounter, parseGeneration, SingleFlight } from '@memwire/core';
import type { SessionClient } from './options.js';

/** What a tick's counter read found, besides a generation: none there, or nothing readable. */
const MISSING = Symbol('missing');
const UNREADABLE = Symbol('unreadable');
type Seen = number | typeof MISSING | typeof UNREADABLE;

/**
 * This tick's read of the counter, shared by every session read issued in the tick. `seen` is filled
 * in by the read's own reaction, so a session read answered after the counter (it is asked first, so
 * on one server its key leads the tick's `get` line) takes it without one more promise; otherwise the
 * read waits for `promise`. Either way it is the counter read sent with the session's own `get`.
 */
interface TickCheck {
  /** Undefined until the counter's reply is in. */
  seen: Seen | undefined;
  /** Never rejects: a failed read or a value that is not a counter is `UNREADABLE`. */
  promise: Promise<Seen>;
}

/**
 * The generation of one store's sessions, folded into every session key, so `clear()` is one `incr`
 * of the core's `GenerationCounter`: older keys are never read again and memcached's LRU reclaims
 * them (memcached cannot list a prefix, and `flush_all` would drop every other app's data too).
 * Every read checks the counter in the same round trip as its own `get` (the two keys share one
 * line), so a `clear()` made by any process — "log everyone out" — holds at once for all of them.
 * Nothing is cached across round trips: the generation a read trusts was read in its own line.
 * Writes do not check: a session loaded before a `clear()` and saved after it must land under the
 * old generation, where nobody reads it, or the save would undo the logout.
 *
 * The common paths (generation known) are plain promise chains, not async functions: a session
 * read and write are the store's whole work, and each async frame or `Promise.all` is a promise
 * and a microtask per request (issue 14's bench: the store was at 77% of the bare client's rate).
 */
export class SessionGeneration {
  private readonly counter: GenerationCounter;
  /** The generation last seen: what a command uses (a read, while it checks the counter). */
  private known: number | undefined;
  private readonly firstRead = new SingleFlight<number>();
  /** The counter read sent in this tick (see `checkThisTick`). */
  private tickCheck: TickCheck | undefined;
  private readonly endTick = () => {
    this.tickCheck = undefined;
  };

  constructor(
    private readonly client: SessionClient,
    private readonly key: string,
  ) {
    this.counter = new GenerationCounter(client);
  }

  /**
   * Runs `op` under the current generation, checking the counter alongside. If it moved (a `clear()`
   * elsewhere) or is gone (evicted, or the server restarted: a fresh one is made, so old sessions
   * never come back), `op` runs again under the new one: no read returns a cleared session.
   */
  checked<T>(op: (generation: number) => Promise<T>): Promise<T> {
    const known = this.known;
    if (known === undefined) return this.current().then(op);
    try {
      // The counter first: on one server its key then comes first in the tick's get line.
      const check = this.checkThisTick();
      return op(known).then((result) => {
        const seen = check.seen;
        if (seen !== undefined) return this.settle(seen, known, result, op);
        return check.promise.then((later) => this.settle(later, known, result, op));
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs `op` under the generation last seen (read from memcached the first time only). */
  unchecked<T>(op: (generation: number) => Promise<T>): Promise<T> {
    const known = this.known;
    if (known === undefined) return this.current().then(op);
    try {
      return op(known);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Moves to the next generation: every session written before is gone for every process. */
  async bump(): Promise<void> {
    this.known = await this.counter.bump(this.key);
  }

  private current(): Promise<number> {
    return this.firstRead.run(this.key, async () => {
      const generation = await this.counter.current(this.key);
      this.known = generation;
      return generation;
    });
  }

  /**
   * `result` when the counter still holds `known`; else `op` again under the generation memcached
   * holds now. A counter that cannot be read (its server down in a cluster, or not a number) counts
   * as unmoved: nobody can have moved a counter nobody can reach, and the command itself reports its
   * own server's failure. A counter that is gone (evicted, restarted) is made afresh, so the
   * sessions written under the old one never come back.
   */
  private settle<T>(
    seen: Seen,
    known: number,
    result: T,
    op: (generation: number) => Promise<T>,
  ): T | Promise<T> {
    if (seen === known || seen === UNREADABLE) return result;
    if (seen === MISSING)
      return this.current().then(
        (generation) => (generation === known ? result : op(generation)),
        () => result,
      );
    this.known = seen;
    return op(seen);
  }

  /**
   * One counter read for every session read issued in the same tick: they all leave in the same
   * write as it (the client batches a tick's commands), so each is still checked in its own round
   * trip, and 50 concurrent requests cost memcached one counter lookup instead of 50.
   */
  private checkThisTick(): TickCheck {
    if (this.tickCheck !== undefined) return this.tickCheck;
    const check: TickCheck = { seen: undefined, promise: undefined as never };
    check.promise = this.client.get(this.key).then(
      (value) => {
        try {
          check.seen = parseGeneration(value, this.key) ?? MISSING;
        } catch {
          check.seen = UNREADABLE;
        }
        return check.seen;
      },
      () => {
        check.seen = UNREADABLE;
        return check.seen;
      },
    );
    this.tickCheck = check;
    process.nextTick(this.endTick);
    return check;
  }
}
