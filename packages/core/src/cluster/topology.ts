import type { Distribution, KeyHash } from '../config/options.js';
import type { ServerPool } from '../connection/pool.js';
import { createSelector, isWeighted, type ServerSelector } from './selector.js';

/**
 * What happens to the keys of a server marked down:
 * - `'miss'` (default): the ring stays as it is; reads of its keys are misses and writes fail fast.
 *   Every client sharing the cache — in Node, PHP or Python — keeps placing each key on the same
 *   server whatever its own view of the server's health, and when the server returns no key has
 *   been written elsewhere in the meantime to be read back stale later.
 * - `'rehash'`: the ring is rebuilt without the server (libmemcached's auto-eject), so its keys move
 *   to the others until it returns. More hits during an outage; but clients that disagree on which
 *   servers are up place keys differently, and values written during the outage linger on the other
 *   servers and can be read back stale after the next failover.
 */
export type Failover = 'miss' | 'rehash';

/** The servers in use and the ring over them; rebuilt when health changes under `'rehash'`. */
export class Topology {
  private live: ServerPool[];
  private selector: ServerSelector;
  /**
   * libmemcached keeps the weighted continuum once any server had a weight > 1, so a ring rebuilt
   * from the live servers must keep the layout the full list chose.
   */
  private readonly weighted: boolean;

  constructor(
    readonly pools: readonly ServerPool[],
    private readonly distribution: Distribution,
    private readonly failover: Failover,
    private readonly hash: KeyHash,
  ) {
    const servers = pools.map((pool) => pool.server);
    this.weighted = isWeighted(servers, distribution);
    this.live = [...pools];
    this.selector = createSelector(servers, distribution, hash, this.weighted);
    this.rebuild();
  }

  /** The one live server pool, when there is only one: every key goes there. */
  get sole(): ServerPool | undefined {
    return this.live.length === 1 ? this.live[0] : undefined;
  }

  /** The server pool for a key as sent. */
  route(key: string): ServerPool {
    const live = this.live;
    return live.length === 1 ? live[0]! : live[this.selector.serverFor(key)]!;
  }

  /**
   * Recomputes the ring after a server went down or came back. Only `'rehash'` over a consistent
   * ring changes it: under modula, dropping one server would move almost every key (libmemcached
   * does not remap modula keys either), so there a down server's keys are misses as under `'miss'`.
   */
  rebuild(): void {
    if (this.failover !== 'rehash' || this.distribution === 'modula') return;
    const up = this.pools.filter((pool) => !pool.health.isDown);
    // With every server down, keep the full ring: its commands fail fast either way.
    const live = up.length === 0 ? [...this.pools] : up;
    if (live.length === this.live.length && live.every((pool, i) => pool === this.live[i])) return;
    this.live = live;
    this.selector = createSelector(
      live.map((pool) => pool.server),
      this.distribution,
      this.hash,
      this.weighted,
    );
  }
}
