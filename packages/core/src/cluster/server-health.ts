import { backoffDelay } from '../connection/backoff.js';
import { AuthError, ConnectionError } from '../errors.js';

export interface HealthSettings {
  /** Consecutive failures (refused, reset, timed out, login refused) that mark the server down. */
  failureThreshold: number;
  /** First delay before probing a down server; doubles per failed probe, with jitter. */
  retryDelay: number;
  maxRetryDelay: number;
}

export interface HealthEvents {
  /** The server was marked down after `failureThreshold` consecutive failures. */
  down(error: Error): void;
  /** A down server answered a probe (connected and logged in): it serves again. */
  up(): void;
  /** Time to try the server again, in the background; the result arrives as recordSuccess/recordFailure. */
  probe(): void;
}

/**
 * What the client knows of one server's health, shared by all connections to it.
 *
 * Below `failureThreshold` consecutive failures, the next command simply reconnects. At the threshold
 * the server is marked down: its commands fail fast (no caller waits out a timeout on a dead server,
 * and a pool does not make one connect attempt per connection), and the server is probed in the
 * background after `retryDelay`, doubling with jitter up to `maxRetryDelay`, until it answers. Probing
 * in the background, rather than on the next command, is what lets a server that receives no traffic
 * (ejected from a rehashed ring) rejoin.
 */
export class ServerHealth {
  private failures = 0;
  private down = false;
  private retryAt = 0;
  private lastFailure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly settings: HealthSettings,
    private readonly events: HealthEvents,
  ) {}

  /** True while the server is marked down. */
  get isDown(): boolean {
    return this.down;
  }

  /**
   * True while the server is down because it refused the login: a configuration error, not an
   * outage, so reads must keep failing loudly rather than turn into misses.
   */
  get refusedLogin(): boolean {
    return this.down && this.lastFailure instanceof AuthError;
  }

  recordFailure(error: Error, now: number = Date.now()): void {
    this.failures++;
    this.lastFailure = error;
    if (this.closed || this.failures < this.settings.failureThreshold) return;
    const delay = backoffDelay(
      this.failures - this.settings.failureThreshold + 1,
      this.settings.retryDelay,
      this.settings.maxRetryDelay,
    );
    this.retryAt = now + delay;
    this.scheduleProbe(delay);
    if (!this.down) {
      this.down = true;
      this.events.down(error);
    }
  }

  recordSuccess(): void {
    this.failures = 0;
    this.lastFailure = undefined;
    this.clearProbe();
    if (this.down) {
      this.down = false;
      this.events.up();
    }
  }

  /** Stops probing for good (the client is closing). */
  close(): void {
    this.closed = true;
    this.clearProbe();
  }

  /**
   * The fail-fast error while down. A refused login keeps its class and code (callers branch on
   * ERR_MEMWIRE_AUTH to tell bad credentials from a dead server); anything else is a ConnectionError.
   */
  downError(now: number = Date.now()): ConnectionError | AuthError {
    const cause = this.lastFailure;
    const why = cause === undefined ? '' : ` (${cause.message})`;
    const wait = Math.max(0, Math.ceil(this.retryAt - now));
    const message = `${this.address} is marked down${why}; next attempt in ${wait} ms`;
    const options = { server: this.address, cause };
    return cause instanceof AuthError
      ? new AuthError(message, options)
      : new ConnectionError(message, options);
  }

  private scheduleProbe(delay: number): void {
    this.clearProbe();
    // unref: a probe must never keep the process alive.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.events.probe();
    }, delay);
    this.timer.unref();
  }

  private clearProbe(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
