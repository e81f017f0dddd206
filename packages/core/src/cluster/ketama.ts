import { createHash } from 'node:crypto';
import type { ServerAddress } from '../config/server-address.js';
import { DEFAULT_PORT } from '../config/server-address.js';
import { md5Hash } from './hash.js';

/**
 * libmemcached's weighted ketama ring (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED; php-memcached
 * OPT_LIBKETAMA_COMPATIBLE; pylibmc `ketama_weighted`), so Node, PHP and Python clients sharing a
 * cluster pick the same server for a key. The algorithm is in shared/protocol-notes.md; two details
 * matter for byte-for-byte agreement:
 * - the per-server point count is computed in 32-bit floats (`Math.fround` at every step); doubles
 *   give the wrong count for equal-weight clusters of 25, 47, 50, … servers;
 * - points hash `host-j` when the port is 11211, else `host:port-j`, with the host as configured.
 */
export class KetamaRing {
  private readonly points: Uint32Array;
  private readonly owners: Uint16Array;

  constructor(servers: readonly ServerAddress[]) {
    const live = servers.length;
    const totalWeight = servers.reduce((sum, s) => sum + (s.weight || 1), 0);
    const entries: { point: number; owner: number }[] = [];
    servers.forEach((server, index) => {
      const f = Math.fround;
      const pct = f(f(server.weight || 1) / f(totalWeight));
      const count = Math.floor(f(f(f(f(pct * 160) / 4) * f(live)) + f(1e-10)));
      const base = server.port === DEFAULT_PORT ? server.host : `${server.host}:${server.port}`;
      for (let j = 0; j < count; j++) {
        const digest = createHash('md5').update(`${base}-${j}`).digest();
        for (let k = 0; k < 4; k++) entries.push({ point: digest.readUInt32LE(k * 4), owner: index });
      }
    });
    // On equal points the lower server index first, as libmemcached's qsort comparison leaves them.
    entries.sort((a, b) => a.point - b.point || a.owner - b.owner);
    this.points = Uint32Array.from(entries, (e) => e.point);
    this.owners = Uint16Array.from(entries, (e) => e.owner);
  }

  /** Index of the server owning `key` (as sent, prefix included). */
  serverFor(key: string): number {
    return this.serverForHash(md5Hash(key));
  }

  /** First point ≥ hash, wrapping past the end to the first point. */
  serverForHash(hash: number): number {
    const points = this.points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === points.length ? 0 : lo]!;
  }
}
