import { GenerationCounter, parseGeneration, SingleFlight } from '@memwire/core';
import { type Callback, failureOf } from './callbacks.js';
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
 * The common paths (generation known) are one reaction on the client's own promise, not async
 * functions or chains: a session read and write are the store's whole work, and each async frame,
 * `.then` or `Promise.all` is a promise and a microtask per request (issue 14's bench).
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
   * Runs `op` under the current generation, checking the counter alongside, and gives `done` its
   * outcome (`null` and the result, or the error through failureOf, so never falsy). If the counter
   * moved (a `clear()` elsewhere) or is gone (evicted, or the server restarted: a fresh one is made,
   * so old sessions never come back), `op` runs again under the new one: no read returns a cleared
   * session. `done` must not throw: it is called from promise reactions (the store's callers pass
   * callbacks, and each promise between memcached's reply and theirs is one more allocation and
   * microtask per request).
   */
  checked<T>(op: (generation: number) => Promise<T>, done: Callback<T>): void {
    const known = this.known;
    if (known === undefined) {
      this.current().then(
        (generation) => rerun(op, generation, done),
        (error: unknown) => done(failureOf(error)),
      );
      return;
    }
    let check: TickCheck;
    let work: Promise<T>;
    try {
      // The counter first: on one server its key then comes first in the tick's get line.
      check = this.checkThisTick();
      work = op(known);
    } catch (error) {
      process.nextTick(done, failureOf(error));
      return;
    }
    work.then(
      (result) => {
        const seen = check.seen;
        if (seen !== undefined) this.settle(seen, known, result, op, done);
        else check.promise.then((later) => this.settle(later, known, result, op, done));
      },
      (error: unknown) => done(failureOf(error)),
    );
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
   * `result` to `done` when the counter still holds `known`; else `op` again under the generation
   * memcached holds now. A counter that cannot be read (its server down in a cluster, or not a
   * number) counts as unmoved: nobody can have moved a counter nobody can reach, and the command
   * itself reports its own server's failure. A counter that is gone (evicted, restarted) is made
   * afresh, so the sessions written under the old one never come back.
   */
  private settle<T>(
    seen: Seen,
    known: number,
    result: T,
    op: (generation: number) => Promise<T>,
    done: Callback<T>,
  ): void {
    if (seen === known || seen === UNREADABLE) done(null, result);
    else if (seen === MISSING)
      this.current().then(
        (generation) => (generation === known ? done(null, result) : rerun(op, generation, done)),
        () => done(null, result),
      );
    else {
      this.known = seen;
      rerun(op, seen, done);
    }
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

/** `op` under `generation`, its outcome to `done` (a synchronous throw included). */
function rerun<T>(op: (generation: number) => Promise<T>, generation: number, done: Callback<T>): void {
  let work: Promise<T>;
  try {
    work = op(generation);
  } catch (error) {
    done(failureOf(error));
    return;
  }
  work.then(
    (result) => done(null, result),
    (error: unknown) => done(failureOf(error)),
  );
}
