import { GenerationCounter, SingleFlight } from '@memwire/core';
import type { SessionClient } from './options.js';

/**
 * The generation of one store's sessions, folded into every session key, so `clear()` is one `incr`
 * of the core's `GenerationCounter`: older keys are never read again and memcached's LRU reclaims
 * them (memcached cannot list a prefix, and `flush_all` would drop every other app's data too).
 * Every read checks the counter in the same round trip as its own `get` (the two keys share one
 * line), so a `clear()` made by any process — "log everyone out" — holds at once for all of them.
 * Writes do not check: a session loaded before a `clear()` and saved after it must land under the
 * old generation, where nobody reads it, or the save would undo the logout.
 */
export class SessionGeneration {
  private readonly counter: GenerationCounter;
  /** The generation last seen: what a command uses (a read, while it checks the counter). */
  private known: number | undefined;
  private readonly firstRead = new SingleFlight<number>();
  /** The counter read sent in this tick, shared by every read issued in it (see `check`). */
  private sameTickRead: Promise<number | undefined> | undefined;

  constructor(
    client: SessionClient,
    private readonly key: string,
  ) {
    this.counter = new GenerationCounter(client);
  }

  /**
   * Runs `op` under the current generation, checking the counter alongside. If it moved (a `clear()`
   * elsewhere) or is gone (evicted, or the server restarted: a fresh one is made, so old sessions
   * never come back), `op` runs again under the new one: no read returns a cleared session.
   */
  async checked<T>(op: (generation: number) => Promise<T>): Promise<T> {
    const known = this.known;
    if (known === undefined) return op(await this.current());
    const [seen, result] = await Promise.all([this.check(known), op(known)]);
    if (seen === known) return result;
    this.known = seen;
    return op(seen);
  }

  /** Runs `op` under the generation last seen (read from memcached the first time only). */
  async unchecked<T>(op: (generation: number) => Promise<T>): Promise<T> {
    return op(this.known ?? (await this.current()));
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
   * The generation memcached holds now. When the counter cannot be read (its server down in a
   * cluster, or not a number), the one last seen: nobody can have moved a counter nobody can reach,
   * and the command itself reports its own server's failure.
   */
  private async check(known: number): Promise<number> {
    try {
      return (await this.readThisTick()) ?? (await this.counter.current(this.key));
    } catch {
      return known;
    }
  }

  /**
   * One counter read for every session read issued in the same tick: they all leave in the same
   * write as it (the client batches a tick's commands), so each is still checked in its own round
   * trip, and 50 concurrent requests cost memcached one counter lookup instead of 50.
   */
  private readThisTick(): Promise<number | undefined> {
    if (this.sameTickRead === undefined) {
      this.sameTickRead = this.counter.read(this.key);
      process.nextTick(() => {
        this.sameTickRead = undefined;
      });
    }
    return this.sameTickRead;
  }
}
