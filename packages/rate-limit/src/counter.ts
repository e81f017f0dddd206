import { EventEmitter } from 'node:events';
import {
  ClientError,
  ConfigError,
  createClient,
  ErrorCodes,
  InvalidArgumentError,
  keyProblem,
  MemwireError,
  ServerError,
} from '@memwire/core';
import { parseCount } from './count.js';
import type { CounterClient } from './counter-client.js';
import { keyPart, windowKey } from './keys.js';
import {
  clientOptionsOf,
  RATE_LIMIT_DEFAULTS,
  type RateLimitAlgorithm,
  type RateLimitOptions,
  type UnavailablePolicy,
} from './options.js';

/** A key's count after a hit, or as read. */
export interface Hits {
  /** Hits in the window, this one included (`'sliding'`: the weighted estimate, a whole number). */
  totalHits: number;
  /** When the current window ends, in ms since the epoch: `(floor(now / windowMs) + 1) × windowMs`. */
  resetTime: number;
  /** Set when memcached could not be asked: the count is then the `onUnavailable` answer, not a count. */
  unavailable?: MemwireError | undefined;
}

/** What one call counts against. */
export interface WindowOptions {
  /** The window in ms. @default the counter's `windowMs` */
  windowMs?: number | undefined;
  /** The limit, when the caller knows it: a `'deny'` answer is then `limit + 1` hits. @default undefined (`Number.MAX_SAFE_INTEGER` hits) */
  limit?: number | undefined;
  /** Counts `key` apart from the same key elsewhere (a route's own limit). @default undefined */
  scope?: string | undefined;
}

/** The counter's events. Neither is `'error'`, so an event nobody listens to never throws. */
export interface RateLimitEvents {
  /** memcached could not be asked and `onUnavailable: 'allow'` let the hit through. */
  failOpen: [error: MemwireError, key: string];
  /** memcached could not be asked and `onUnavailable: 'deny'` answered the hit as over the limit. */
  failClosed: [error: MemwireError, key: string];
}

/** Failures that mean "memcached cannot be asked now", answered by `onUnavailable`; others are bugs and reject. */
const UNAVAILABLE: ReadonlySet<string> = new Set([
  ErrorCodes.CONNECTION,
  ErrorCodes.TIMEOUT,
  ErrorCodes.AUTH,
  ErrorCodes.AUTH_REQUIRED,
  ErrorCodes.SERVER_ERROR,
  ErrorCodes.PROTOCOL,
  ErrorCodes.CLOSED,
  ErrorCodes.QUEUE_FULL,
  ErrorCodes.DISCOVERY,
]);

/** Rounds of "not there, add lost the race, or the counter vanished at once" before giving up. */
const ATTEMPTS = 3;

/** The longest `prefix`: the rest of the 250 bytes is for the key and the window suffix. */
const MAX_PREFIX_BYTES = 100;

/**
 * The counting core under every store of this package: fixed (or sliding) windows counted in
 * memcached, exact across processes.
 *
 * - A window is `floor(now / windowMs)`, and its counter's key ends with that index, so every process
 *   knows when a window started and ends (`resetTime`) from its own clock and no extra read; hosts'
 *   clocks must agree (NTP) to the precision the limit needs.
 * - A hit is one `incr` (memcached adds atomically). Only the first hit of a window finds no counter:
 *   it `add`s `"1"`, which stores only when the key is absent, so of the processes starting a window
 *   at once one creates it and the others `incr` it. No hit is ever lost or counted twice.
 * - A counter lives until its window (and, sliding, the next) ends, then memcached drops it.
 *
 * @example
 * const counter = new RateLimitCounter({ servers: 'cache:11211', windowMs: 60_000 });
 * const { totalHits, resetTime } = await counter.increment('203.0.113.7');
 * if (totalHits > 100) reject(new Date(resetTime));
 */
export class RateLimitCounter extends EventEmitter<RateLimitEvents> {
  /** The memcached client the counter speaks through. */
  readonly client: CounterClient;
  /** Starts every counter key. @default 'rl:' */
  readonly prefix: string;
  private window: number;
  /** `'fixed'` or `'sliding'` windows. @default 'fixed' */
  readonly algorithm: RateLimitAlgorithm;
  /** What a hit is answered when memcached cannot be asked. @default 'allow' */
  readonly onUnavailable: UnavailablePolicy;
  private readonly ownsClient: boolean;

  constructor(options: RateLimitOptions = {}) {
    super();
    this.prefix = checkPrefix(options.prefix ?? RATE_LIMIT_DEFAULTS.prefix);
    this.window = checkWindow(options.windowMs ?? RATE_LIMIT_DEFAULTS.windowMs);
    this.algorithm = checkChoice('algorithm', options.algorithm ?? RATE_LIMIT_DEFAULTS.algorithm, [
      'fixed',
      'sliding',
    ]);
    this.onUnavailable = checkChoice(
      'onUnavailable',
      options.onUnavailable ?? RATE_LIMIT_DEFAULTS.onUnavailable,
      ['allow', 'deny'],
    );
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createClient(clientOptionsOf(options));
  }

  /** The window in ms when a call does not give one (set by express-rate-limit's `init`). @default 60000 */
  get windowMs(): number {
    return this.window;
  }

  set windowMs(windowMs: number) {
    this.window = checkWindow(windowMs);
  }

  /**
   * Counts a hit on `key` and resolves its count in the current window. When memcached cannot be
   * asked, resolves the `onUnavailable` answer (1 hit, or over the limit) with `unavailable` set, and
   * emits `'failOpen'` or `'failClosed'`.
   * @example await counter.increment('user:42', { windowMs: 1000, limit: 10 }); // { totalHits: 1, resetTime: … }
   */
  async increment(key: string, options: WindowOptions = {}): Promise<Hits> {
    const window = this.windowOf(key, options);
    try {
      if (this.algorithm === 'fixed') {
        return { totalHits: await this.hit(window.current, window.ttl), resetTime: window.resetTime };
      }
      const [current, previous] = await Promise.all([
        this.hit(window.current, window.ttl),
        this.client.get(window.previous),
      ]);
      return { totalHits: current + window.weigh(parseCount(previous)), resetTime: window.resetTime };
    } catch (error) {
      return this.unavailable(error, key, window.resetTime, options.limit);
    }
  }

  /**
   * The count of `key` in the current window without counting a hit, or `undefined` when it has
   * none (rejects when memcached cannot be asked: there is no hit to allow or deny).
   * @example await counter.get('user:42'); // { totalHits: 3, resetTime: … } or undefined
   */
  async get(key: string, options: WindowOptions = {}): Promise<Hits | undefined> {
    const window = this.windowOf(key, options);
    const [current, previous] = await Promise.all([
      this.client.get(window.current).then(parseCount),
      this.algorithm === 'sliding' ? this.client.get(window.previous).then(parseCount) : undefined,
    ]);
    const totalHits = (current ?? 0) + window.weigh(previous);
    return totalHits === 0 && current === undefined ? undefined : { totalHits, resetTime: window.resetTime };
  }

  /**
   * Takes one hit back from `key`'s current window (memcached's `decr` stops at 0); nothing when the
   * window has no counter. For a request that should not count (express-rate-limit's
   * `skipFailedRequests`); a hit from a window already over cannot be taken back.
   */
  async decrement(key: string, options: WindowOptions = {}): Promise<void> {
    const window = this.windowOf(key, options);
    try {
      await this.client.decr(window.current, 1);
    } catch (error) {
      // Not a counter (see `hit`): there is nothing of ours to take back.
      if (!(error instanceof ClientError)) throw error;
    }
  }

  /** Forgets `key`'s hits: the current window's counter and the previous one's (sliding reads it). */
  async reset(key: string, options: WindowOptions = {}): Promise<void> {
    const window = this.windowOf(key, options);
    await Promise.all([this.client.delete(window.current), this.client.delete(window.previous)]);
  }

  /** Closes the client if the counter created it (a client you passed in stays open). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /**
   * Counts one hit on the counter at `wire` and resolves the new count: `incr`, and when there is no
   * counter, `add` (only one process can create it; the others, refused, `incr` the winner's).
   */
  private async hit(wire: string, ttl: number): Promise<number> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let count: number | undefined;
      try {
        count = await this.client.incr(wire, 1);
      } catch (error) {
        // `CLIENT_ERROR cannot increment or decrement non-numeric value` (memcached 1.6): the key holds
        // what another app (or someone with access to memcached) wrote. It cannot be counted on, and
        // refusing every hit on it would let whoever wrote it lock the client out: it becomes a fresh window.
        if (!(error instanceof ClientError)) throw error;
        count = await this.replaceForeign(wire, ttl);
      }
      if (count !== undefined) return count;
      if (await this.client.add(wire, '1', { ttl })) return 1;
      // Created by another process between the `incr` and the `add`: count on theirs.
    }
    throw new ServerError(`rate-limit counter ${JSON.stringify(wire)} disappears as soon as it is written`);
  }

  /**
   * Replaces a value that is not a counter with this hit's `"1"`. `gets` + `cas` stores only if the
   * item is unchanged since it was read (protocol.txt), so of several processes replacing it at once
   * one does, and the others find a counter again: undefined tells `hit` to go round.
   */
  private async replaceForeign(wire: string, ttl: number): Promise<number | undefined> {
    const item = await this.client.gets(wire);
    if (item === undefined || parseCount(item.value) !== undefined) return undefined;
    return (await this.client.cas(wire, '1', item.cas, { ttl })) ? 1 : undefined;
  }

  private unavailable(error: unknown, key: string, resetTime: number, limit: number | undefined): Hits {
    if (!(error instanceof MemwireError) || !UNAVAILABLE.has(error.code)) throw error;
    if (this.onUnavailable === 'allow') {
      this.emit('failOpen', error, key);
      return { totalHits: 1, resetTime, unavailable: error };
    }
    this.emit('failClosed', error, key);
    const totalHits =
      limit !== undefined && Number.isSafeInteger(limit + 1) ? limit + 1 : Number.MAX_SAFE_INTEGER;
    return { totalHits, resetTime, unavailable: error };
  }

  /** The counters and times of `key`'s current window, from this process's clock. */
  private windowOf(key: string, { windowMs, scope }: WindowOptions): Window {
    if (typeof key !== 'string')
      throw new InvalidArgumentError(`a rate-limit key must be a string, got ${typeof key}`);
    const ms = windowMs === undefined ? this.window : checkWindow(windowMs);
    const now = Date.now();
    const index = Math.floor(now / ms);
    const start = index * ms;
    const resetTime = start + ms;
    const part = keyPart(this.prefix, key, scope);
    // A counter lives to its window's end; sliding, through the next window too, which reads it. The
    // extra second covers memcached's whole-second clock, which may expire an item up to 1 s early.
    const lastUse = this.algorithm === 'sliding' ? resetTime + ms : resetTime;
    return {
      current: windowKey(part, ms, index),
      previous: windowKey(part, ms, index - 1),
      resetTime,
      ttl: Math.ceil((lastUse - now) / 1000) + 1,
      weigh: (previous) => (previous === undefined ? 0 : Math.floor(previous * (1 - (now - start) / ms))),
    };
  }
}

interface Window {
  current: string;
  previous: string;
  resetTime: number;
  /** Seconds a counter created now must live. */
  ttl: number;
  /** The part of the previous window's count that still overlaps the last `windowMs` (sliding). */
  weigh: (previous: number | undefined) => number;
}

function checkWindow(windowMs: number): number {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new InvalidArgumentError(
      `windowMs must be a whole number of milliseconds > 0, got ${String(windowMs)}`,
    );
  }
  return windowMs;
}

function checkPrefix(prefix: string): string {
  const problem = typeof prefix !== 'string' || prefix === '' ? undefined : keyProblem(prefix);
  if (typeof prefix !== 'string' || problem !== undefined || Buffer.byteLength(prefix) > MAX_PREFIX_BYTES) {
    throw new ConfigError(
      `prefix ${JSON.stringify(prefix)} ${problem ?? `must be a string of at most ${MAX_PREFIX_BYTES} bytes`}`,
    );
  }
  return prefix;
}

function checkChoice<T extends string>(name: string, value: T, choices: readonly T[]): T {
  if (!choices.includes(value)) {
    throw new ConfigError(
      `${name} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
