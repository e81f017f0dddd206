export interface MemcachedOptions {
  /** Where it listens. Another loopback address (127.0.0.2, …) lets a test own port 11211. @default '127.0.0.1' */
  host?: string;
  /** Defaults to a free port (retried on a lost race); a port given here is tried once. */
  port?: number;
  /** Extra command-line arguments, appended after the defaults. @default [] */
  args?: string[];
  /** Turns on memcached's own pseudo-set auth (-Y): a `set` whose value is `username password` logs in. */
  auth?: { username: string; password: string };
  /**
   * Turns on TLS (-Z) on the port with this certificate and key (PEM text, e.g. from
   * createTestCertificates()); plain TCP is then refused on it.
   */
  tls?: { cert: string; key: string };
  /** `-m`. @default 64 */
  memoryMb?: number;
  /** Worker threads, `-t`. @default 1 */
  threads?: number;
  /** The memcached binary. @default MEMCACHED_BIN, else memcached on PATH (see findMemcached) */
  binary?: string;
}

export const MEMCACHED_DEFAULTS: Readonly<
  Required<Pick<MemcachedOptions, 'host' | 'memoryMb' | 'threads' | 'args'>>
>;

export interface MemcachedServer {
  readonly host: string;
  readonly port: number;
  /** `HOST:PORT` */
  readonly address: string;
  /** Pid of the current process, or of the last one once it has ended, so tests can check it is gone. */
  readonly pid: number | undefined;
  /** SIGTERM by pid, wait for exit (SIGKILL after 2 s), and remove the auth and TLS files. */
  stop(): Promise<void>;
  /** SIGKILL by pid, like a crash; keeps the auth and TLS files so restart() works. */
  kill(): Promise<void>;
  /** Ends the process if still running, then starts it again on the same port with the same arguments. */
  restart(): Promise<void>;
}

/**
 * Starts memcached and resolves once it accepts connections.
 * @throws {ServerStartError} (from errors.mjs) with a stable `code` and the server's stderr in the message.
 * @example const server = await startMemcached({ memoryMb: 256, threads: 2 });
 */
export function startMemcached(options?: MemcachedOptions): Promise<MemcachedServer>;

/** Stops every server started here and not yet stopped, and kills any whose start is in flight. */
export function stopAllMemcached(): Promise<void>;

/** MEMCACHED_BIN, else the first memcached on PATH, /usr/bin or /usr/local/bin; undefined if none. */
export function findMemcached(): string | undefined;
