import { createHash } from 'node:crypto';
import type { ServerAddress } from '../config/server-address.js';
import { DEFAULT_PORT } from '../config/server-address.js';
import { type HashFunction, md5Hash } from './hash.js';

/** Which of libmemcached's two continuums to build, and how keys are hashed onto it. */
export interface KetamaOptions {
  /**
   * `true`: the weighted continuum (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED; php-memcached
   * OPT_LIBKETAMA_COMPATIBLE; pylibmc `ketama_weighted`). `false`: the unweighted one
   * (MEMCACHED_BEHAVIOR_KETAMA; pylibmc `ketama`). @default true
   */
  weighted?: boolean;
  /** The key hash; the unweighted continuum hashes its points with it too. @default md5Hash */
  keyHash?: HashFunction;
}

interface Point {
  value: number;
  owner: number;
}

/** libmemcached's MEMCACHED_POINTS_PER_SERVER_KETAMA and MEMCACHED_POINTS_PER_SERVER. */
const WEIGHTED_POINTS = 160;
const UNWEIGHTED_POINTS = 100;

/**
 * libmemcached's ketama ring (hosts.cc, update_continuum; hash.cc, dispatch_host), so Node, PHP and
 * Python clients sharing a cluster pick the same server for a key. The algorithm is in
 * shared/protocol-notes.md; the details that decide byte-for-byte agreement are commented below.
 */
export class KetamaRing {
  private readonly points: Uint32Array;
  private readonly owners: Uint16Array;
  private readonly keyHash: HashFunction;

  constructor(servers: readonly ServerAddress[], options: KetamaOptions = {}) {
    this.keyHash = options.keyHash ?? md5Hash;
    const entries =
      (options.weighted ?? true) ? weightedPoints(servers) : unweightedPoints(servers, this.keyHash);
    // On equal values the lower server index first: continuum_item_cmp compares the index next.
    entries.sort((a, b) => a.value - b.value || a.owner - b.owner);
    this.points = Uint32Array.from(entries, (e) => e.value);
    this.owners = Uint16Array.from(entries, (e) => e.owner);
  }

  /** Index of the server owning `key` (as sent, prefix included). */
  serverFor(key: string): number {
    return this.serverForHash(this.keyHash(key));
  }

  /** First point ≥ hash, wrapping past the end to the first point (dispatch_host). */
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

/**
 * What a point's hash is taken over: `host-j` on port 11211, else `host:port-j`, the host as
 * configured (no DNS, so `localhost` and `127.0.0.1` differ), j counting from 0.
 */
function pointName(server: ServerAddress, j: number): string {
  return server.port === DEFAULT_PORT ? `${server.host}-${j}` : `${server.host}:${server.port}-${j}`;
}

/**
 * Per server `floor(pct * 160 / 4 * live + 1e-10)` MD5 digests, four points each. libmemcached
 * computes the count in C `float`, so every step is rounded to 32 bits here (`Math.fround`): in
 * doubles, equal-weight clusters of 25, 47, 50, … servers get too many (160 each for 25, not 156) and keys move.
 */
function weightedPoints(servers: readonly ServerAddress[]): Point[] {
  const f = Math.fround;
  const live = servers.length;
  // Weight 0 is stored as 1 (memcached_server_add_with_weight), so it counts as 1 here too.
  const totalWeight = servers.reduce((sum, s) => sum + (s.weight || 1), 0);
  const points: Point[] = [];
  servers.forEach((server, owner) => {
    const pct = f(f(server.weight || 1) / f(totalWeight));
    const digests = Math.floor(f(f(f(f(pct * WEIGHTED_POINTS) / 4) * f(live)) + f(1e-10)));
    for (let j = 0; j < digests; j++) {
      const digest = createHash('md5').update(pointName(server, j)).digest();
      for (let k = 0; k < 4; k++) points.push({ value: digest.readUInt32LE(k * 4), owner });
    }
  });
  return points;
}

/** 100 points per server whatever its weight, each the key hash of its name (one point per hash). */
function unweightedPoints(servers: readonly ServerAddress[], hash: HashFunction): Point[] {
  const points: Point[] = [];
  servers.forEach((server, owner) => {
    for (let j = 0; j < UNWEIGHTED_POINTS; j++) points.push({ value: hash(pointName(server, j)), owner });
  });
  return points;
}
