/**
 * What the proxy does to the bytes crossing it. Faults apply to every connection, open or new, from
 * the moment they are set; `cut` and `garbage` strike once and then the proxy passes bytes through.
 * - `pass`: relays both ways untouched.
 * - `stall`: holds every byte, both ways, as a frozen server or a partitioned network would; the
 *   held bytes flow on, in order, once the fault changes to `pass` or `slow`.
 * - `slow`: delays each reply by `delayMs`, cut into pieces of `chunkBytes` (default: as read)
 *   that arrive `delayMs` apart, so a reply also reaches the client split at awkward places.
 * - `cut`: forwards `afterBytes` more bytes of reply, then destroys that connection both ways — a
 *   server crashing mid-reply.
 * - `garbage`: writes `bytes` to the client just before the next reply, as if the server had said it.
 */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'stall' }
  | { kind: 'slow'; delayMs: number; chunkBytes?: number }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'garbage'; bytes: string | Buffer };

export interface FaultProxy {
  readonly port: number;
  /** `127.0.0.1:PORT`, for the client's server list. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Bytes received from clients so far, held ones included: whether anything was sent at all. */
  readonly received: number;
  /** The fault in force (`pass` again once a one-shot `cut` or `garbage` has struck). */
  readonly fault: Fault;
  setFault(fault: Fault): void;
  /** Destroys every connection, drops every held byte, clears every timer, and stops listening. */
  close(): Promise<void>;
}

/** A TCP proxy to `127.0.0.1:upstreamPort` (usually a real memcached) with switchable faults. */
export function startFaultProxy(upstreamPort: number, initial?: Fault): Promise<FaultProxy>;

/** Closes every proxy started here and not yet closed. */
export function closeAllFaultProxies(): Promise<void>;
