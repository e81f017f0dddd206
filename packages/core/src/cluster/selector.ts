import type { Distribution } from '../config/options.js';
import type { ServerAddress } from '../config/server-address.js';
import { oneAtATimeHash } from './hash.js';
import { KetamaRing } from './ketama.js';

/** Picks the server index for a key as sent. The seam where failover and other topologies plug in. */
export interface ServerSelector {
  serverFor(key: string): number;
}

export function createSelector(
  servers: readonly ServerAddress[],
  distribution: Distribution,
): ServerSelector {
  // One server: always it, without hashing (libmemcached does the same).
  if (servers.length === 1) return { serverFor: () => 0 };
  if (distribution === 'modula') {
    const count = servers.length;
    return { serverFor: (key) => oneAtATimeHash(key) % count };
  }
  return new KetamaRing(servers);
}
