import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { AuthDialect } from '../auth/dialects.js';
import type { Failover } from '../cluster/topology.js';
import type { Codec } from '../codec/codec.js';
import type { MemwireLogger } from '../logger.js';
import type { ServerAddressInput } from './server-address.js';

/**
 * How keys are spread over several servers, each as libmemcached 1.1.4 does it (so as php-memcached
 * and pylibmc do): `'ketama'` weighted ketama, `'ketama-unweighted'` plain ketama, `'modula'` hash
 * modulo the server count. See {@link ClientOptions.distribution}.
 */
export type Distribution = 'ketama' | 'ketama-unweighted' | 'modula';

/** libmemcached's key hashes memwire speaks: its default (Jenkins one-at-a-time) and MD5. */
export type KeyHash = 'one-at-a-time' | 'md5';

/** See {@link ClientOptions.protocol}. */
export type Protocol = 'auto' | 'classic' | 'meta';

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Every option of {@link createClient}, with its default. Defaults live in one object,
 * `DEFAULT_OPTIONS` (config/defaults.ts). Explicit options win over the environment.
 *
 * @typeParam In - what `set` accepts (decided by `codec`).
 * @typeParam Out - what `get` returns (decided by `codec`).
 */
export interface ClientOptions<In = unknown, Out = In> {
  /**
   * The servers: `'host:port[:weight]'` strings (`[::1]:11211` for IPv6, a bare host means port
   * 11211), `{ host, port, weight }` objects, or one comma- or space-separated string. A
   * `memcache://user:pass@host:port,host2:port` URL is accepted here too (`memcaches://` = TLS).
   * @default from `MEMCACHIER_SERVERS` / `MEMCACHE_SERVERS`, else `'127.0.0.1:11211'`
   */
  servers?: string | ReadonlyArray<string | ServerAddressInput> | undefined;
  /**
   * A `memcache://user:pass@host:port,host2:port` URL (`memcaches://` turns TLS on). Its servers
   * and credentials are used unless `servers`, `username` or `password` are given too.
   */
  url?: string | undefined;
  /** Username for the pseudo-set login. @default from `MEMCACHIER_USERNAME` / `MEMCACHE_USERNAME` */
  username?: string | undefined;
  /** Password for the pseudo-set login. @default from `MEMCACHIER_PASSWORD` / `MEMCACHE_PASSWORD` */
  password?: string | undefined;
  /** IronCache credentials. @default from `IRON_TOKEN`, `IRON_PROJECT_ID`, `IRON_CACHE` */
  ironcache?: { token: string; projectId: string; cacheName: string } | undefined;
  /**
   * Which pseudo-set dialect logs in; `auto` tries MemCachier's form, then memcached's `-Y` form.
   * @default `MEMCACHE_AUTH_DIALECT`, else `'auto'` (`'ironcache'` when IronCache credentials are set)
   */
  authDialect?: AuthDialect | undefined;
  /**
   * TLS: `true` for Node's defaults (certificates verified against the system CAs), or Node
   * `tls.connect` options (`ca`, `cert`, `key`, `servername`, …). @default false
   */
  tls?: boolean | TlsConnectionOptions | undefined;
  /** Prepended to every key as sent (after `keyFunction`). @default '' */
  keyPrefix?: string | undefined;
  /**
   * Maps a caller's key to the key sent (before `keyPrefix`); `djangoKeyFunction()` makes Django's
   * `prefix:version:key`. @default the identity
   */
  keyFunction?: ((key: string) => string) | undefined;
  /**
   * Send keys over 250 bytes as `keyPrefix + 'sha256:' + base64url(sha256(key))` instead of
   * rejecting them. Keys with whitespace or control characters are still rejected. @default false
   */
  hashLongKeys?: boolean | undefined;
  /**
   * Default TTL in seconds for writes: 0 = never expire; over 30 days is sent as a Unix time; a TTL
   * ending after 2038-01-19 (memcached's 32-bit exptime) is clamped to that date. @default 0
   */
  ttl?: number | undefined;
  /**
   * Largest (encoded) value in bytes; larger ones are refused before anything is written. The default
   * fits a default memcached (`-I 1m`), whose 1 MiB item also holds the key and an item header; raise
   * it for servers started with a larger `-I`. @default 1047552 (1 MiB − 1 KiB)
   */
  maxValueSize?: number | undefined;
  /** How long a TCP (and TLS) connect may take, in ms. @default 2000 */
  connectTimeout?: number | undefined;
  /**
   * How long a command may wait for its reply, in ms, counted from the call (so time spent
   * connecting counts). When the oldest command of a connection times out, every command sent on
   * it fails with a timeout and the connection is reset, since later replies can no longer be
   * matched. @default 1000
   */
  commandTimeout?: number | undefined;
  /**
   * Consecutive failures (refused, reset, timed out, garbled reply, login refused) after which a
   * server is marked down: its commands then fail fast and it is probed in the background until it
   * answers. @default 2
   */
  failureThreshold?: number | undefined;
  /**
   * What a server marked down means for its keys. `'miss'` keeps the ring: reads of its keys are
   * misses and writes fail fast, so every client sharing the cache (in any language) keeps placing
   * keys alike and nothing written during the outage is read back stale afterwards. `'rehash'`
   * rebuilds the ring without it (libmemcached's auto-eject): more hits during the outage, at the
   * cost of that consistency. @default 'miss'
   */
  failover?: Failover | undefined;
  /**
   * Delay before the first background probe of a server marked down, in ms; doubles per failed probe,
   * with jitter. At most 2^31 − 1 (Node fires longer timers after 1 ms). @default 100
   */
  retryDelay?: number | undefined;
  /** Longest delay between reconnect attempts, in ms, at most 2^31 − 1. @default 5000 */
  maxRetryDelay?: number | undefined;
  /**
   * How keys are spread over several servers. Each matches libmemcached 1.1.4 key for key, so clients
   * in PHP and Python sharing the cluster pick the same server — if they list the servers in the same
   * order and spell each host the same way (`localhost` and `127.0.0.1` place keys differently).
   * - `'ketama'`: weighted ketama — php-memcached `OPT_LIBKETAMA_COMPATIBLE`, pylibmc
   *   `{"ketama_weighted": True}`. A server's share of keys follows its weight (`host:port:weight`).
   * - `'ketama-unweighted'`: plain ketama — pylibmc `{"ketama": True}` (add `"hash": "md5"` for
   *   `hash: 'md5'`): 100 points per server, hashed with `hash`. As in libmemcached, a server of
   *   weight > 1 in the list switches the ring to weighted points, keys still hashed with `hash`.
   * - `'modula'`: `hash(key) % servers` — libmemcached's own default (pylibmc with no behaviors).
   *   Weights are ignored, and adding a server moves most keys.
   * @default 'ketama'
   * @example `createClient({ servers: 'a:11211:2,b:11211', distribution: 'ketama' })`
   */
  distribution?: Distribution | undefined;
  /**
   * The key hash. Under `'ketama'` it is MD5 unless set: libmemcached's weighted mode sets MD5 (pylibmc
   * `ketama_weighted` always does); `'one-at-a-time'` there matches php-memcached setting `OPT_HASH`
   * to `HASH_DEFAULT` after `OPT_LIBKETAMA_COMPATIBLE`. Under `'ketama-unweighted'` and `'modula'` it
   * matches pylibmc's `"hash"` behavior (`"default"` is one-at-a-time). One-at-a-time is libmemcached's,
   * which adds bytes over 0x7f sign-extended on x86-64, so non-ASCII keys land where x86-64 builds put them.
   * @default 'one-at-a-time' (`'md5'` under `distribution: 'ketama'`)
   */
  hash?: KeyHash | undefined;
  /** Most keys per coalesced `get` line (proxies limit line length). @default 100 */
  maxKeysPerGet?: number | undefined;
  /**
   * Connections per server, 1 to 64. A key always travels on the same one, so commands on one key keep
   * their order. One sends a tick's commands for a server in one write, the least client CPU per
   * command; two let two of memcached's worker threads serve gets from one busy server at once.
   * @default 1
   */
  poolSize?: number | undefined;
  /**
   * AWS ElastiCache auto discovery: `servers` are configuration endpoints, polled with
   * `config get cluster` (every `interval` ms, default 60 s); the ring follows the node list they give,
   * swapped atomically, and removed nodes' connections are drained. Commands issued before the first
   * answer wait for it. @default false
   */
  autoDiscovery?: boolean | { interval?: number | undefined } | undefined;
  /**
   * The servers are a proxy. `'twemproxy'` (nutcracker): the commands it does not forward (`stats`,
   * `flush_all`, `verbosity`, `gat`, `gats`) reject with UnsupportedCommandError before anything is
   * sent, since twemproxy closes the connection on them and drops the replies of every command in
   * flight on it; and each get travels on its own line, since a multi-key line touching a dead
   * backend fails whole and closes the connection. @default undefined (direct servers)
   */
  proxy?: 'twemproxy' | undefined;
  /**
   * Which protocol the commands that gain from memcached 1.6's meta commands speak: `ttl()`,
   * `getLease()`/`invalidate()`, and the quiet batches of `setMany`/`deleteMany` (one reply for the
   * whole batch instead of one per key). `'auto'` asks each server once (`version` ≥ 1.6.10, then `mn`
   * answered `MN`) and speaks meta to those that answer, classic to the rest; through `proxy:
   * 'twemproxy'` and to IronCache it never asks (they do not forward meta commands). `'classic'` never
   * uses meta (`ttl()`, `getLease()` and `invalidate()` then reject with UnsupportedCommandError);
   * `'meta'` always does, without asking. Every other command is the classic one either way (a
   * coalesced `get k1 k2 …` is one line for many keys, where meta needs a command per key).
   * @default 'auto'
   */
  protocol?: Protocol | undefined;
  /** TCP keep-alive on server sockets. @default true */
  keepAlive?: boolean | undefined;
  /** Values to bytes + flags and back. @default defaultCodec */
  codec?: Codec<In, Out> | undefined;
  /**
   * Where to read `MEMCACHE_*` / `MEMCACHIER_*` / `IRON_*` variables; `false` ignores the
   * environment. @default process.env
   */
  env?: Environment | false | undefined;
  /**
   * Largest data block a reply may declare, in bytes (a `VALUE`, or a whole `stats` reply). A larger
   * one fails its command with a ProtocolError and resets the connection, failing (typed) the commands
   * pipelined behind it: the stream is out of step from there on. Reading an item larger than you may
   * write is legitimate (another client may write with memcached `-I 16m`), hence the 16 MiB floor;
   * raise it to read bigger items. Memory is taken as bytes arrive, never for the declared length.
   * @default max(maxValueSize, 16 MiB)
   */
  maxReplyValueSize?: number | undefined;
  /**
   * Most commands one connection holds unanswered (written, waiting to be written, or waiting for the
   * connection); each key of a coalesced `get` counts as one. Beyond it a call rejects at once with
   * QueueFullError (`ERR_MEMWIRE_QUEUE_FULL`), so a stalled server cannot make memory grow without
   * limit. @default 10000
   */
  maxPendingCommands?: number | undefined;
  /**
   * Idle sockets do not keep the process alive (`socket.unref()` while no command is in flight or
   * waiting on it; one with commands pending holds the process until they settle, and so does a
   * `close()` until its sockets are closed). For a client a library makes on the app's behalf, so an
   * app that closes its HTTP server but not the library still exits, as Node's own idle agent
   * sockets let it. @default false
   */
  unrefWhenIdle?: boolean | undefined;
  /**
   * Where to report, once per change of state, what an operator should know: a server marked down
   * and back up, a refused login, credentials about to cross a network in clear text, failing auto
   * discovery; adapters report there the errors nobody listens for. `console`, pino, winston and
   * Nest's `Logger` fit (one line of text per call, never a secret). `false` or none: nothing is
   * logged (the clear-text warning is then a process warning, as before). @default none
   */
  logger?: MemwireLogger | false | undefined;
}
