import type { Codec } from './codec/codec.js';
import type { GetSink } from './connection/retrieval.js';

/** An opaque compare-and-swap token from `gets`, passed back to `cas`. */
export type CasToken = string;

/** What `gets` returns: the value and its CAS token. */
export interface ValueWithCas<Out> {
  value: Out;
  cas: CasToken;
}

/** Settles one promise with one key's value (decoded) or undefined for a miss. */
export class ValueSink<Out> implements GetSink {
  readonly promise: Promise<Out | undefined>;
  private settled = false;
  private resolve!: (value: Out | undefined) => void;
  private reject!: (error: Error) => void;

  constructor(private readonly codec: Codec<unknown, Out>) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  hit(_key: string, flags: number, data: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.resolve(this.codec.decode(data, flags));
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

/** Like ValueSink, with the CAS token (`gets`, `gats`). */
export class CasSink<Out> implements GetSink {
  readonly promise: Promise<ValueWithCas<Out> | undefined>;
  private settled = false;
  private resolve!: (value: ValueWithCas<Out> | undefined) => void;
  private reject!: (error: Error) => void;

  constructor(private readonly codec: Codec<unknown, Out>) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  hit(_key: string, flags: number, data: Buffer, cas: string | undefined): void {
    if (this.settled) return;
    this.settled = true;
    try {
      this.resolve({ value: this.codec.decode(data, flags), cas: cas ?? '' });
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

  /** @param callerKeys wire key → the caller's key */
  constructor(
    private readonly codec: Codec<unknown, Out>,
    private readonly callerKeys: Map<string, string>,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Counts one more registration; call before handing the sink to a connection. */
  expect(): void {
    this.pending++;
  }

  hit(key: string, flags: number, data: Buffer): void {
    if (this.settled) return;
    try {
      this.result.set(this.callerKeys.get(key) ?? key, this.codec.decode(data, flags));
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
