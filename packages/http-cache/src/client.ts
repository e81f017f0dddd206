import type { CallOptions, CasToken, GetManyOptions, Outcome, WriteOptions } from '@memwire/core';

/**
 * The part of a memwire `Client` the HTTP cache uses. Any client works whose codec stores strings and
 * bytes and gives bytes back as bytes (`defaultCodec`, `rawCodec`); it should be created with
 * `hashLongKeys: true`, since URLs exceed memcached's 250-byte keys.
 */
export interface CacheClient {
  get(key: string, options?: CallOptions): Promise<unknown>;
  getMany(keys: Iterable<string>, options?: GetManyOptions): Promise<Map<string, unknown>>;
  set(key: string, value: string | Buffer, options?: WriteOptions): Promise<boolean>;
  setMany(
    entries: Iterable<readonly [string, string | Buffer]>,
    options?: WriteOptions,
  ): Promise<Map<string, Outcome<boolean>>>;
  add(key: string, value: string | Buffer, options?: WriteOptions): Promise<boolean>;
  delete(key: string, options?: CallOptions): Promise<boolean>;
  incr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined>;
  /** For the stampede lock: it releases only its own lock (core `AddLock`). */
  gets(key: string, options?: CallOptions): Promise<{ value: unknown; cas: CasToken } | undefined>;
  cas(key: string, value: string | Buffer, cas: CasToken, options?: WriteOptions): Promise<boolean>;
}

/**
 * The cache's memcached calls made before a request reaches the origin share one time budget: each
 * call is bounded by the client's own commandTimeout, and together they may add at most that much
 * to a request (a slow server must not add it two or three times). The first call needs no signal.
 */
export class Budget {
  private readonly deadline: number;

  constructor(milliseconds: number) {
    // Monotonic, as the client's own deadlines: a wall clock stepped back must not stretch the budget.
    this.deadline = performance.now() + milliseconds;
  }

  /** Call options for the next call, or undefined when the budget is spent (skip the call). */
  options(): CallOptions | undefined {
    // AbortSignal.timeout takes whole milliseconds (a fraction throws ERR_OUT_OF_RANGE).
    const left = Math.floor(this.deadline - performance.now());
    return left > 0 ? { signal: AbortSignal.timeout(left) } : undefined;
  }
}
