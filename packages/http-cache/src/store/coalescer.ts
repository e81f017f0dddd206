/**
 * Per-process single flight: while one request for a key is at the origin, the others for that key
 * wait for its outcome instead of running the handler too.
 */
export class Coalescer<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** The outcome of the flight in progress for `key`, or undefined when there is none. */
  join(key: string): Promise<T> | undefined {
    return this.flights.get(key);
  }

  /** Whether a flight for `key` is in progress. */
  busy(key: string): boolean {
    return this.flights.has(key);
  }

  /** Starts the flight for `key`; its waiters get what `land` is given. Landing twice does nothing. */
  lead(key: string): (outcome: T) => void {
    let resolve!: (outcome: T) => void;
    const flight = new Promise<T>((r) => {
      resolve = r;
    });
    this.flights.set(key, flight);
    let landed = false;
    return (outcome) => {
      if (landed) return;
      landed = true;
      if (this.flights.get(key) === flight) this.flights.delete(key);
      resolve(outcome);
    };
  }
}

/**
 * Keys whose last response could not be stored (private, a cookie, no-store…), remembered for a short
 * while so their requests stop waiting behind one another: a response that cannot be shared is no
 * use to a waiter (Varnish calls this hit-for-pass). Bounded, oldest forgotten first.
 */
export class PassMemo {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys: number,
  ) {}

  has(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(key);
    return false;
  }

  add(key: string): void {
    this.until.delete(key);
    this.until.set(key, Date.now() + this.ttlMs);
    if (this.until.size > this.maxKeys) this.until.delete(this.until.keys().next().value!);
  }

  delete(key: string): void {
    this.until.delete(key);
  }
}
