import type { Wire } from '../protocol/encoder.js';
import type { AuthDialect } from './dialects.js';
import { type Credentials, encodeLogin, type WireDialect } from './dialects.js';

/** memcached -Y's answer to a value without a space, i.e. to the memcachier form. */
const WRONG_FORMAT = 'CLIENT_ERROR bad authentication token format';

export type LoginStep =
  | { kind: 'ok'; dialect: WireDialect }
  | { kind: 'retry'; dialect: WireDialect; bytes: Wire }
  | { kind: 'failed'; reply: string };

/**
 * The login handshake of one connection as a small state machine: `start()` gives the first
 * pseudo-set, `onReply(line)` says whether the login worked, needs another try in another dialect,
 * or failed. Once a dialect works it is remembered, so reconnects skip the probe.
 */
export class LoginFlow {
  private current: WireDialect;
  private readonly auto: boolean;

  constructor(
    dialect: AuthDialect,
    private readonly credentials: Credentials,
  ) {
    this.auto = dialect === 'auto';
    this.current =
      credentials.kind === 'ironcache' ? 'ironcache' : dialect === 'auto' ? 'memcachier' : dialect;
  }

  get dialect(): WireDialect {
    return this.current;
  }

  start(): Wire {
    return encodeLogin(this.current, this.credentials);
  }

  onReply(line: string): LoginStep {
    if (line === 'STORED') return { kind: 'ok', dialect: this.current };
    if (this.auto && this.current === 'memcachier' && line === WRONG_FORMAT) {
      this.current = 'memcached';
      return { kind: 'retry', dialect: 'memcached', bytes: encodeLogin('memcached', this.credentials) };
    }
    return { kind: 'failed', reply: line };
  }
}
