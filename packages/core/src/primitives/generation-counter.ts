import { randomInt } from 'node:crypto';
import type { CallOptions, WriteOptions } from '../client.js';
import { CodecError, ServerError } from '../errors.js';

/** The part of a `Client` a counter needs (any codec that stores a string; `incr` keeps decimal text). */
export interface CounterClient {
  get(key: string, options?: CallOptions): Promise<unknown>;
  add(key: string, value: string, options?: WriteOptions): Promise<boolean>;
  incr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined>;
}

/** Fresh generations are drawn from [1, 2^47): far below 2^53, so every one stays a safe integer after any number of bumps. */
export const GENERATION_RANGE = 2 ** 47;

/** Rounds of "create, lost the race, read the winner's" before a counter that vanishes at once is an error. */
const SETTLE_ATTEMPTS = 3;

/**
 * The counter in a value read from memcached (`incr`'s kind): a safe non-negative integer, else
 * undefined. Counters are stored as decimal text, and `incr` keeps them so (it may leave trailing
 * spaces after a `decr`, protocol.txt), so a number, a bigint, text or bytes are all read; `0x10`,
 * `1e3` or an empty string are not counters. Shared by the generations and @memwire/rate-limit.
 */
export function parseCounter(value: unknown): number | undefined {
  let text: string | undefined;
  if (value instanceof Uint8Array)
    text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    text = String(value);
  const digits = text?.trim();
  if (digits === undefined || !/^[0-9]+$/.test(digits)) return undefined;
  const count = Number(digits);
  return Number.isSafeInteger(count) ? count : undefined;
}

/**
 * The generation in a value read from memcached: undefined when there is none; a `CodecError` when
 * the value is not a counter ({@link parseCounter}: written by something else).
 */
export function parseGeneration(value: unknown, key?: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const generation = parseCounter(value);
  if (generation === undefined) {
    const name = key === undefined ? 'a generation counter' : `generation counter ${JSON.stringify(key)}`;
    throw new CodecError(`${name} does not hold a whole number`);
  }
  return generation;
}

/**
 * Generation counters in memcached: a value folded into (or recorded with) every item of a group, so
 * one `incr` makes all of them unreachable at once, since memcached cannot list or delete a group's
 * keys. The one scheme every adapter uses:
 * - a fresh counter starts at a random integer in [1, 2^47), never at a fixed value nor at the
 *   clock: a counter evicted (or lost to a restart) and made again must not match the values of the
 *   old one, and hosts' clocks need not agree. A recreated counter repeats an old value with
 *   probability 2^-47;
 * - `add` settles creation races: of the processes creating one counter at once, one stores its
 *   value, and the others read the winner's;
 * - ttl 0 always: the client's default TTL must never expire a counter;
 * - a missing counter matches nothing: callers compare what they recorded with what is read now,
 *   so an evicted counter costs misses, never a stale hit.
 *
 * @example
 * const counters = new GenerationCounter(client);
 * const generation = await counters.current('gen:users'); // read, or created
 * await counters.bump('gen:users'); // everything recorded under `generation` is now stale
 */
export class GenerationCounter {
  constructor(private readonly client: CounterClient) {}

  /** The value at `key`, or undefined when there is none. Rejects with a `CodecError` for a value that is not a counter. */
  async read(key: string, options?: CallOptions): Promise<number | undefined> {
    return parseGeneration(await this.client.get(key, options), key);
  }

  /**
   * Creates the counter at `key` with a fresh value, if there is none. Resolves with that value, or
   * undefined when a counter was there already (someone else created it first).
   */
  async create(key: string, options?: CallOptions): Promise<number | undefined> {
    const fresh = randomInt(1, GENERATION_RANGE);
    return (await this.client.add(key, String(fresh), { ...options, ttl: 0 })) ? fresh : undefined;
  }

  /** The value at `key`, created when there is none (a lost creation race reads the winner's). */
  async current(key: string, options?: CallOptions): Promise<number> {
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      const stored = await this.read(key, options);
      if (stored !== undefined) return stored;
      const created = await this.create(key, options);
      if (created !== undefined) return created;
      // Created by someone else between the two commands: read theirs (or, evicted at once, go again).
    }
    throw vanishing(key);
  }

  /**
   * Moves the counter at `key` on, so nothing recorded under an earlier value matches; resolves with
   * the new value. A missing counter gets a fresh random one; if another process creates it first,
   * that value is moved on too: it may have been read by a writer whose data predates this bump.
   */
  async bump(key: string, options?: CallOptions): Promise<number> {
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      const next = await this.client.incr(key, 1, options);
      if (next !== undefined) return next;
      const created = await this.create(key, options);
      if (created !== undefined) return created;
    }
    throw vanishing(key);
  }
}

function vanishing(key: string): ServerError {
  return new ServerError(`generation counter ${JSON.stringify(key)} disappears as soon as it is written`);
}
