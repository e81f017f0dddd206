import { type Client, GenerationCounter, SingleFlight, type Value } from '@memwire/core';

/** The client the adapters use: the core's default codec, or any codec with the same value types. */
export type MemwireClient = Client<Value, Value>;

/**
 * The generation numbers of namespaces, kept in memcached (one core `GenerationCounter` per
 * namespace) and folded into every data key, so `clear()` is one `incr`: keys of older generations
 * are never read again and memcached's LRU reclaims them. A lost counter (evicted, or the server
 * restarted: its data is gone too) starts again at a fresh random value, so old keys never return.
 * One tracker per client, shared by every adapter on that client, so an adapter sees another's
 * `clear()` at once; across processes, every operation checks the counter in the same round trip
 * as its own command (see `KeyvMemwire`).
 */
export class Generations {
  /** The generation last seen per counter key: what an operation uses while checking the counter. */
  private readonly known = new Map<string, number>();
  /** First reads in flight per counter key, shared by concurrent callers. */
  private readonly firstReads = new SingleFlight<number>();
  private readonly counters: GenerationCounter;

  constructor(client: MemwireClient) {
    this.counters = new GenerationCounter(client);
  }

  /** The generation last seen under `key`, if any. */
  peek(key: string): number | undefined {
    return this.known.get(key);
  }

  /** The generation last seen under `key`; read (or created) from memcached when none has been yet. */
  current(key: string): Promise<number> {
    const known = this.known.get(key);
    if (known !== undefined) return Promise.resolve(known);
    return this.firstReads.run(key, () => this.read(key));
  }

  /**
   * The generation memcached holds now, starting a fresh one if the counter is gone. When memcached
   * cannot answer (the counter's server is down), `expected`, the generation last seen: nobody can
   * have moved a counter that nobody can reach.
   */
  async check(key: string, expected: number): Promise<number> {
    try {
      return await this.read(key);
    } catch {
      return expected;
    }
  }

  /** Moves `key` to the next generation (`clear()`), or starts a fresh one if the counter is gone. */
  async bump(key: string): Promise<number> {
    return this.remember(key, await this.counters.bump(key));
  }

  private async read(key: string): Promise<number> {
    return this.remember(key, await this.counters.current(key));
  }

  private remember(key: string, generation: number): number {
    this.known.set(key, generation);
    return generation;
  }
}

const trackers = new WeakMap<MemwireClient, Generations>();

/** The generation tracker of `client`, shared by every adapter built on it. */
export function generationsOf(client: MemwireClient): Generations {
  let tracker = trackers.get(client);
  if (tracker === undefined) {
    tracker = new Generations(client);
    trackers.set(client, tracker);
  }
  return tracker;
}
