import { backoffDelay } from '../connection/backoff.js';
import { AuthError, ConnectionError } from '../errors.js';

/**
 * What the client knows of one server's health, shared by all connections to it: after a failure to
 * connect, log in or answer in time, the server is left alone for a growing, jittered delay, and
 * every connection to it fails fast meanwhile, so no caller waits out a timeout on a dead server and
 * a pool does not make one connect attempt per connection.
 */
export class ServerHealth {
  private failures = 0;
  private retryAt = 0;
  private lastFailure: Error | undefined;

  constructor(
    readonly address: string,
    private readonly retryDelay: number,
    private readonly maxRetryDelay: number,
  ) {}

  /** True while the server is backing off after a failure. */
  isDown(now: number): boolean {
    return now < this.retryAt;
  }

  recordFailure(error: Error, now: number): void {
    this.failures++;
    this.lastFailure = error;
    this.retryAt = now + backoffDelay(this.failures, this.retryDelay, this.maxRetryDelay);
  }

  recordSuccess(): void {
    this.failures = 0;
    this.lastFailure = undefined;
    this.retryAt = 0;
  }

  /**
   * The fail-fast error while backing off. A refused login keeps its class and code (callers branch
   * on ERR_MEMWIRE_AUTH to tell bad credentials from a dead server); anything else is a ConnectionError.
   */
  downError(now: number): ConnectionError | AuthError {
    const cause = this.lastFailure;
    const why = cause === undefined ? '' : ` (${cause.message})`;
    const message = `${this.address} is unavailable${why}; next attempt in ${Math.ceil(this.retryAt - now)} ms`;
    const options = { server: this.address, cause };
    return cause instanceof AuthError
      ? new AuthError(message, options)
      : new ConnectionError(message, options);
  }
}
