/** The figures of `stats` that say whether a cache is doing its job, per server. */
export interface StatsSummary {
  /** `get_hits / (get_hits + get_misses)`, or undefined before any get. */
  hitRatio: number | undefined;
  hits: number;
  misses: number;
  /** Items evicted to make room: a steady rise means the cache is too small. */
  evictions: number;
  /** Items stored now (`curr_items`). */
  items: number;
  /** Bytes stored now, and the memory limit (`limit_maxbytes`). */
  bytes: number;
  limitBytes: number;
  /** Open connections now (`curr_connections`). */
  connections: number;
  uptimeSeconds: number;
  version: string | undefined;
}

/** Reads a server's `stats` reply into a {@link StatsSummary}; absent counters read as 0. */
export function summarizeStats(stats: Readonly<Record<string, string>>): StatsSummary {
  const count = (name: string): number => {
    const value = Number(stats[name]);
    return Number.isFinite(value) ? value : 0;
  };
  const hits = count('get_hits');
  const misses = count('get_misses');
  return {
    hitRatio: hits + misses === 0 ? undefined : hits / (hits + misses),
    hits,
    misses,
    evictions: count('evictions'),
    items: count('curr_items'),
    bytes: count('bytes'),
    limitBytes: count('limit_maxbytes'),
    connections: count('curr_connections'),
    uptimeSeconds: count('uptime'),
    version: stats['version'],
  };
}
