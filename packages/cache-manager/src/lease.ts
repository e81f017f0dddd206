import type { MemwireClient } from '@memwire/keyv';
import type { DataKeys } from './data-keys.js';
import type { LockSettings } from './lock.js';
import { isUnsupported } from './remaining-ttl.js';

/** What one look at a key through its lease found. */
export type LeaseRead<E> =
  /** A value: serve it. */
  | { kind: 'hit'; entry: E }
  /** Invalidated (`md <key> I`) and another caller is recomputing it: serve the old value meanwhile. */
  | { kind: 'stale'; entry: E }
  /** This caller computes and stores the value (`stale`: the lease was on an invalidated value). */
  | { kind: 'won'; stale: boolean }
  /** Another caller is computing it and there is nothing to serve yet. */
  | { kind: 'wait' }
  /** The key's server has no meta protocol (nothing was sent): use the add-lock. */
  | { kind: 'classic' };

/** How a caller that lost the lease of a missing key ended up. */
export type LeaseOutcome<E> = Exclude<LeaseRead<E>, { kind: 'wait' }> | { kind: 'timeout' };

/** How often a loser looks while its wait is young (at most `retryInterval`). */
const EARLY_LOOK_MS = 10;

/**
 * `wrap`'s cross-process stampede protection on servers with the meta protocol: memcached's own
 * lease (`mg <key> v f c N<ttl>`, see the core's `getLease`). Of the callers that miss a key, in
 * every process, the server tells exactly one it won; it computes and its `set` ends the lease. A
 * value invalidated with `md <key> I` is served, stale, to everyone while one caller recomputes it.
 * One round trip answers hit, stale, won or wait: no lock key, no release.
 *
 * How the losers wait (memcached has no blocking read, so they must ask again): with `mg`, every
 * 10 ms during their first `retryInterval` (most computations a cache fronts take tens of ms, and a
 * look is one small round trip), then every `retryInterval`, so a value computed in ~20 ms is seen
 * within about 10 ms of being set and a slow one costs a look per `retryInterval`.
 * They give up after `wait` and compute themselves, so nobody waits for ever. A winner that dies
 * leaves the empty placeholder for the lease's `ttl`; the first look after it expires wins. A
 * winner whose function fails deletes the placeholder, so the next look wins at once.
 */
export class WrapLease<E> {
  constructor(
    private readonly client: MemwireClient,
    private readonly dataKeys: DataKeys,
    /** An entry of the cache from what memcached holds; undefined for anything else (another app's). */
    private readonly decode: (value: unknown) => Promise<E | undefined>,
    private readonly settings: LockSettings,
  ) {}

  /** One look at `key`, taking its lease when the value is missing or stale. */
  async read(key: string): Promise<LeaseRead<E>> {
    let lease: Awaited<ReturnType<MemwireClient['getLease']>>;
    try {
      lease = await this.dataKeys.run(key, (wire) =>
        this.client.getLease(wire, { ttl: this.settings.ttlSeconds }),
      );
    } catch (error) {
      if (isUnsupported(error)) return { kind: 'classic' };
      throw error;
    }
    const entry = lease.value === undefined ? undefined : await this.decode(lease.value);
    if (lease.won) return { kind: 'won', stale: lease.stale };
    if (entry !== undefined) return { kind: lease.stale ? 'stale' : 'hit', entry };
    // Something the cache cannot read (another app's value, or one past its entry's expiry): nobody
    // holds a lease on it, so nobody would ever replace it for the waiters. Compute, and overwrite it.
    if (lease.value !== undefined) return { kind: 'won', stale: false };
    return { kind: 'wait' };
  }

  /** {@link read}, looking again while another caller computes, for `wait` at most. */
  async settle(key: string): Promise<LeaseOutcome<E>> {
    const { wait, retryInterval } = this.settings;
    const started = performance.now();
    for (;;) {
      const found = await this.read(key);
      if (found.kind !== 'wait') return found;
      const waited = performance.now() - started;
      const delay = waited < retryInterval ? Math.min(EARLY_LOOK_MS, retryInterval) : retryInterval;
      if (waited + delay > wait) return { kind: 'timeout' };
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Ends a lease won on a missing key whose value could not be computed: the next look wins. */
  async abandon(key: string): Promise<void> {
    await this.dataKeys.run(key, (wire) => this.client.delete(wire)).catch(() => {});
  }
}
