import type { Codec } from './codec/codec.js';
import type { GetSink } from './connection/retrieval.js';

/** An opaque compare-and-swap token from `gets`, passed back to `cas`. */
export type CasToken = string;

/** What `gets` returns: the value and its CAS token. */
export interface ValueWithCas<Out> {
  value: Out;
  cas: CasToken;
}

/** Settles one promise with one key's reply: what `read` makes of a hit, or undefined for a miss. */
abstract class OneKeySink<R> implements GetSink {
  readonly promise: Promise<R | undefined>;
  private settled = false;
  private resolve!: (value: R | undefined) => void;
  private reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  protected abstract read(data: Buffer, flags: number, cas: string | undefined): R;

  hit(_key: string, flags: number, data: Buffer, cas: string | undefined): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.resolve(this.read(data, flags, cas));
    } catch (error) {
      this.reject(error as Error);
    }
  }

  end(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(undefined);
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/** One key's value, decoded (`get`, `gat`). */
export class ValueSink<Out> extends OneKeySink<Out> {
  constructor(private readonly codec: Codec<unknown, Out>) {
    super();
  }

  protected read(data: Buffer, flags: number): Out {
    return this.codec.decode(data, flags);
  }
}

/** One key's value with its CAS token (`gets`, `gats`). */
export class CasSink<Out> extends OneKeySink<ValueWithCas<Out>> {
  constructor(private readonly codec: Codec<unknown, Out>) {
    super();
  }

  protected read(data: Buffer, flags: number, cas: string | undefined): ValueWithCas<Out> {
    return { value: this.codec.decode(data, flags), cas: cas ?? '' };
  }
}

/**
 * Collects the hits of many keys, possibly spread over several commands and servers, into one Map
 * keyed by the caller's keys. Settles when every registration has ended, or at the first failure.
 */
export class ManySink<Out> implements GetSink {
  readonly promise: Promise<Map<string, Out>>;
  readonly result = new Map<string, Out>();
  private pending = 0;
  private settled = false;
  private resolve!: (value: Map<string, Out>) => void;
  private reject!: (error: Error) => void;

  /**
   * @param callerKeys wire key → the caller's key (or keys, when a keyFunction sends several as one);
   * undefined when they are the same
   */
  constructor(
    private readonly codec: Codec<unknown, Out>,
    private readonly callerKeys: Map<string, string | string[]> | undefined,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Counts `registrations` more (one per key handed to a connection); call before handing them. */
  expect(registrations = 1): void {
    this.pending += registrations;
  }

  hit(key: string, flags: number, data: Buffer): void {
    if (this.settled) return;
    try {
      const caller = this.callerKeys?.get(key) ?? key;
      // One decoded value per caller key, as get() gives each caller its own.
      if (typeof caller === 'string') this.result.set(caller, this.codec.decode(data, flags));
      else for (const each of caller) this.result.set(each, this.codec.decode(data, flags));
    } catch (error) {
      this.fail(error as Error);
    }
  }

  end(): void {
    if (this.settled) return;
    if (--this.pending === 0) {
      this.settled = true;
      this.resolve(this.result);
    }
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}
