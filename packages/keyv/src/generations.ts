import { type Client, CodecError, ServerError, type Value } from '@memwire/core';

const CREATE_ATTEMPTS = 3;
/** Fresh generations count the clock in thousandths of a millisecond (still far below 2^53). */
const CLOCK_SCALE = 1000;

/** The client the adapters use: the core's default codec, or any codec with the same value types. */
export type MemwireClient = Client<Value, Value>;

/**
 * The generation numbers of namespaces, kept in memcached (one counter per namespace) and folded into
 * every data key, so `clear()` is one `incr`: keys of older generations are never read again and
 * memcached's LRU reclaims them. One tracker per client, shared by every adapter on that client, so an
 * adapter sees another's `clear()` at once; across processes, every operation checks the counter in
 * the same round trip as its own command (see `KeyvMemwire`).
 */
export class Generations {
  /** The generation last seen per counter key. */
  private readonly known = new Map<string, number>();
  /** First reads in flight per counter key, shared by concurrent callers. */
  private readonly pending = new Map<string, Promise<number>>();

  constructor(private readonly client: MemwireClient) {}

  /** The generation last seen under `key`, if any. */
  peek(key: string): number | undefined {
    return this.known.get(key);
  }

  /** The generation last seen under `key`; read (or created) from memcached when none has been yet. */
  current(key: string): Promise<number> {
    const known = this.known.get(key);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = this.read(key).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /**
   * The generation memcached holds now, starting a fresh one if the counter is gone (evicted, or the
   * server restarted: its data is gone too). When memcached cannot answer (the counter's server is
   * down), `expected`, the generation last seen: nobody can have moved a counter that nobody can reach.
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
    const next = await this.client.incr(key, 1);
    if (next !== undefined) return this.remember(key, next);
    return this.create(key);
  }

  private async read(key: string): Promise<number> {
    const stored = await this.client.get(key);
    if (stored !== undefined) return this.remember(key, parseGeneration(key, stored));
    return this.create(key);
  }

  /**
   * Starts a fresh generation, one that was never used before, so a counter lost to eviction (or to
   * a restart) cannot bring back values stored under an old one. It comes from the clock in
   * thousandths of a millisecond and lies above any generation this process has seen: a collision
   * would take another process to have cleared the namespace over a thousand times per millisecond
   * since the counter was made. `add` settles races between processes: the loser reads the winner's.
   */
  private async create(key: string): Promise<number> {
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const fresh = Math.max(Date.now() * CLOCK_SCALE, (this.known.get(key) ?? 0) + 1);
      // ttl 0 explicitly: the client's default TTL must never expire a counter.
      if (await this.client.add(key, fresh, { ttl: 0 })) return this.remember(key, fresh);
      const stored = await this.client.get(key);
      // Gone again between the two commands (evicted at once): try again.
      if (stored !== undefined) return this.remember(key, parseGeneration(key, stored));
    }
    throw new ServerError(`namespace generation ${JSON.stringify(key)} disappears as soon as it is written`);
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

/** A counter as stored: decimal text under any codec (`incr` keeps it so), a number under the default. */
function parseGeneration(key: string, stored: Value): number {
  const text = typeof stored === 'number' || typeof stored === 'bigint' ? String(stored) : stored;
  const generation = typeof text === 'string' || Buffer.isBuffer(text) ? Number(text.toString()) : Number.NaN;
  if (!Number.isSafeInteger(generation) || generation < 0) {
    throw new CodecError(`namespace generation ${JSON.stringify(key)} does not hold a whole number`);
  }
  return generation;
}
