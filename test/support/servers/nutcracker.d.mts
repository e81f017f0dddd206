export interface NutcrackerOptions {
  /** Ports of the memcached servers on 127.0.0.1, in pool order; each gets weight 1. */
  serverPorts: readonly number[];
  /** Key hash of the pool. @default 'md5' */
  hash?: 'md5' | 'fnv1a_64';
  /** Milliseconds twemproxy waits for a server before answering the client with an error. @default none */
  serverTimeoutMs?: number;
}

/** Counters from twemproxy's stats port, for the one pool this fixture configures. */
export interface NutcrackerPoolStats {
  /** Client connections closed on a parse error (an unsupported or malformed command). */
  client_err: number;
  /** Client connections closed by the client. */
  client_eof: number;
  client_connections: number;
  /** Requests forwarded to each server, by `host:port`. */
  requests: Record<string, number>;
}

export interface Nutcracker {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:PORT`, where clients connect. */
  readonly address: string;
  readonly pid: number | undefined;
  /** The YAML it was started with. */
  readonly config: string;
  /** Reads the stats port; twemproxy aggregates counters every STATS_INTERVAL_MS, so they lag by that much. */
  stats(): Promise<NutcrackerPoolStats>;
  /** SIGTERM by pid, wait for exit (SIGKILL after 2 s), remove the config directory. */
  stop(): Promise<void>;
}

/** How often twemproxy refreshes its stats (`-i`). */
export const STATS_INTERVAL_MS: number;

/**
 * Starts a real twemproxy (`nutcracker`) with one memcache pool over the given servers; resolves
 * once it accepts connections.
 * @throws {ServerStartError} (from errors.mjs); ERR_SERVER_NOT_INSTALLED when nutcracker is missing.
 * @example const proxy = await startNutcracker({ serverPorts: [a.port, b.port] });
 */
export function startNutcracker(options: NutcrackerOptions): Promise<Nutcracker>;
/** Stops every nutcracker started here and not yet stopped. */
export function stopAllNutcracker(): Promise<void>;
