import type { Distribution, KeyHash } from '../config/options.js';
import type { ServerAddress } from '../config/server-address.js';
import { hashFunction } from './hash.js';
import { KetamaRing } from './ketama.js';

/** Picks the server index for a key as sent. The seam where failover and other topologies plug in. */
export interface ServerSelector {
  serverFor(key: string): number;
}

/**
 * The key hash libmemcached ends up with when only the distribution is set: weighted ketama sets MD5
 * (behavior.cc, KETAMA_WEIGHTED); everything else keeps the default, one-at-a-time.
 */
export function defaultKeyHash(distribution: Distribution): KeyHash {
  return distribution === 'ketama' ? 'md5' : 'one-at-a-time';
}

/**
 * The server choice libmemcached 1.1.4 makes, configured the way pylibmc 1.6 configures it (behaviors
 * first, then the servers one by one); each branch was checked against pylibmc on real servers.
 */
export function createSelector(
  servers: readonly ServerAddress[],
  distribution: Distribution,
  hash: KeyHash = defaultKeyHash(distribution),
  /** Whether the continuum is weighted; by default, as the servers given decide it. */
  weightedContinuum?: boolean,
): ServerSelector {
  // One server: always it, without hashing (hash.cc, _generate_hash_wrapper).
  if (servers.length === 1) return { serverFor: () => 0 };
  const keyHash = hashFunction(hash);
  if (distribution === 'modula') {
    // Weights play no part in modula.
    const count = servers.length;
    return { serverFor: (key) => keyHash(key) % count };
  }
  // Adding a server of weight > 1 under a consistent distribution turns the weighted continuum on
  // (hosts.cc, server_add), and it stays on: pylibmc `{"ketama": True}` with `host:port:2` gets
  // weighted points while its keys keep the one-at-a-time hash.
  const weighted = weightedContinuum ?? isWeighted(servers, distribution);
  return new KetamaRing(servers, { weighted, keyHash });
}

/** Whether libmemcached lays out a weighted continuum for these servers (see createSelector). */
export function isWeighted(servers: readonly ServerAddress[], distribution: Distribution): boolean {
  return distribution === 'ketama' || servers.some((server) => server.weight > 1);
}
