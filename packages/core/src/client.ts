import { EventEmitter } from 'node:events';
import { LoginFlow } from './auth/login.js';
import { logClientEvents } from './client-log.js';
import { AutoDiscovery, type ClusterConfig } from './cluster/discovery.js';
import { Topology } from './cluster/topology.js';
import type { Codec, EncodedValue } from './codec/codec.js';
import type { Value } from './codec/default-codec.js';
import type { ClientOptions } from './config/options.js';
import { type ResolvedConfig, resolveConfig } from './config/resolve.js';
import { formatAddress, type ServerAddress } from './config/server-address.js';
import {
  ArithmeticCommand,
  OkCommand,
  StatsCommand,
  StatusCommand,
  VersionCommand,
} from './connection/commands.js';
import type { Connection } from './connection/connection.js';
import {
  MetaBatchCommand,
  MetaDeleteCommand,
  MetaLeaseCommand,
  MetaStatusCommand,
  MetaTtlCommand,
  MetaValueCommand,
} from './connection/meta-commands.js';
import { type PoolEvents, ServerPool } from './connection/pool.js';
import { RetrievalCommand } from './connection/retrieval.js';
import { LineSet } from './connection/set-line.js';
import { ALONE, WriteTiming } from './connection/write-timing.js';
import {
  AbortError,
  ClientClosedError,
  type DiscoveryError,
  InvalidArgumentError,
  type MemwireError,
  UnsupportedCommandError,
  ValueTooLargeError,
} from './errors.js';
import { CasSink, type CasToken, ManySink, ValueSink, type ValueWithCas } from './get-sinks.js';
import type { MemwireLogger } from './logger.js';
import { type Outcome, settle } from './outcomes.js';
import { encodeBinaryKey } from './protocol/binary-keys.js';
import {
  byteLength,
  encodeArithmetic,
  encodeDelete,
  encodeFlushAll,
  encodeStats,
  encodeStorage,
  encodeTouch,
  encodeTouchRetrieval,
  encodeVerbosity,
  encodeVersion,
  type StorageVerb,
  type Wire,
} from './protocol/encoder.js';
import { createKeyMapper } from './protocol/keys.js';
import { encodeMeta, encodeMetaSet, encodeQuietSet } from './protocol/meta.js';
import { toExptime } from './protocol/ttl.js';
import { type StatsSummary, summarizeStats } from './stats-summary.js';
import { type CommandTrace, isTracing, publishServerState, traceCommand } from './tracing.js';
import { warnIfCleartext } from './warnings.js';

/** Options every call accepts. */
export interface CallOptions {
  /**
   * Stops waiting for the reply: the promise rejects with an AbortError at once. A command not yet
   * written (still connecting, logging in, or held back by a full socket) is dropped and never sent;
   * one already written keeps its place in the reply stream (its reply is discarded) and may still
   * take effect on the server. Coalesced `get`s are read-only and may still be sent.
   */
  signal?: AbortSignal | undefined;
}

/** Options of writes. */
export interface WriteOptions extends CallOptions {
  /** Seconds: 0 = never expire, over 30 days = sent as a Unix time, negative = expire at once. @default options.ttl */
  ttl?: number | undefined;
}

/**
 * Commands on keys that are bytes, not text (`client.binary`): sent base64-encoded with the meta
 * protocol's `b` flag, so a key may hold any byte, NUL, space and line end included. Meta protocol
 * only (memcached ≥ 1.6.10, see ClientOptions.protocol): on a classic-only server, through twemproxy
 * or to IronCache each call rejects with UnsupportedCommandError and nothing is sent. A key is at
 * most 186 bytes with the `keyPrefix`'s UTF-8 bytes in front of it (248 characters of base64);
 * `keyFunction` and `hashLongKeys` apply to text keys only. memcached stores the decoded bytes, so a
 * binary key that happens to be valid text is that text key (`Buffer.from('a')` is the key `a`). The
 * server of a key is chosen from its base64 form: every memwire client agrees, other clients do not
 * send such keys.
 */
export interface BinaryKeys<In, Out> {
  /** The value of `key`, undefined on a miss (and, under `failover: 'miss'`, on a server marked down). */
  get<T = Out>(key: Uint8Array, options?: CallOptions): Promise<T | undefined>;
  /** Stores `value` under `key` (`ms … b`). Resolves true when stored. */
  set(key: Uint8Array, value: In, options?: WriteOptions): Promise<boolean>;
  /** Deletes `key`; false if there was no item. */
  delete(key: Uint8Array, options?: CallOptions): Promise<boolean>;
  /** Gives `key` a new TTL in seconds without reading its value; false on a miss. */
  touch(key: Uint8Array, ttl: number, options?: CallOptions): Promise<boolean>;
  /** Seconds `key` has left to live (`Infinity`: never expires), undefined on a miss. */
  ttl(key: Uint8Array, options?: CallOptions): Promise<number | undefined>;
}

/** Options of `getMany`. */
export interface GetManyOptions extends CallOptions {
  /**
   * When a server fails during the call: `'reject'` the whole call, or count that server's keys as
   * `'miss'`es (for caches, where a partial answer beats none). @default 'reject'
   */
  onServerError?: 'reject' | 'miss' | undefined;
}

/** Options of {@link Client.getLease}. */
export interface LeaseOptions extends CallOptions {
  /**
   * Seconds the lease lasts: on a miss, how long the empty placeholder (and so the winner's turn to
   * set the value) lives before another caller wins. @default 30
   */
  ttl?: number | undefined;
}

/**
 * What {@link Client.getLease} found. `won` says who recomputes: exactly one caller at a time gets
 * `won: true` for a missing or stale key; the others get `won: false` and either the stale `value`
 * (serve it) or none (wait and get again, or compute without storing).
 */
export interface Lease<T> {
  /** The value, stale or fresh; undefined on a miss. */
  value: T | undefined;
  /** The value's CAS token, for {@link Client.cas}; undefined on a miss. */
  cas: CasToken | undefined;
  /** This caller recomputes the value and sets it (a set ends the lease for everyone). */
  won: boolean;
  /** The value was marked stale by {@link Client.invalidate} and is still served. */
  stale: boolean;
}

/** Options of {@link Client.invalidate}. */
export interface InvalidateOptions extends CallOptions {
  /** Seconds the stale value stays readable (by {@link Client.getLease}) while one caller recomputes it. @default 30 */
  ttl?: number | undefined;
}

const DEFAULT_LEASE_TTL = 30;
/** Most commands in one quiet batch (see writeEach). */
const MAX_BATCH = 1000;

/** The client's events. None is `'error'`: an unheard event never crashes the process. */
export interface ClientEvents {
  /** A server was marked down after `failureThreshold` consecutive failures. */
  serverDown: [{ server: string; error: Error }];
  /** A server marked down answered a background probe and serves again. */
  serverUp: [{ server: string }];
  /** Auto discovery found a new node list (a new config version) and the ring now uses it. */
  topologyChange: [{ servers: string[]; version: number }];
  /** Auto discovery could not read the node list; the client keeps the one it has. */
  discoveryError: [{ error: DiscoveryError }];
}

/**
 * A memcached client over the text protocol, for one server or many (keys spread by ketama).
 * Create it with {@link createClient}. Misses and refused writes are results (`undefined`, `false`);
 * failures reject with a {@link MemwireError} subclass.
 */
export class Client<In = Value, Out = In> extends EventEmitter<ClientEvents> {
  private readonly config: ResolvedConfig<In, Out>;
  /** Replaced whole, never mutated, when auto discovery finds new nodes: a swap is atomic. */
  private topology: Topology;
  private readonly makePool: (server: ServerAddress, poolSize?: number) => ServerPool;
  private readonly discovery: AutoDiscovery | undefined;
  /** Until the first discovery settles, commands wait for it (they would land on the wrong nodes). */
  private discovered: Promise<void> | undefined;
  private clusterVersion: number | undefined;
  private readonly wireKey: (key: string) => string;
  /** The keyPrefix's bytes, in front of every binary key. */
  private readonly binaryPrefix: Uint8Array;
  private readonly codec: Codec<In, Out>;
  private closed = false;
  /** The AbortSignal of the call whose commands are being created (see run()). */
  private callSignal: AbortSignal | undefined;

  constructor(options: ClientOptions<In, Out> = {}) {
    super();
    this.config = resolveConfig(options);
    const config = this.config;
    this.codec = config.codec;
    this.wireKey = createKeyMapper(config);
    this.binaryPrefix = Buffer.from(config.keyPrefix, 'utf8');
    const login = () =>
      config.credentials === undefined ? undefined : new LoginFlow(config.authDialect, config.credentials);
    const events: PoolEvents = {
      serverDown: (pool, error) => {
        this.topology.rebuild();
        publishServerState({ server: pool.address, state: 'down', error });
        this.emit('serverDown', { server: pool.address, error });
      },
      serverUp: (pool) => {
        this.topology.rebuild();
        publishServerState({ server: pool.address, state: 'up' });
        this.emit('serverUp', { server: pool.address });
      },
    };
    // Connections to the servers in use wait for each other's replies before writing (WriteTiming).
    const writeTiming = new WriteTiming(() => this.topology.pools);
    this.makePool = (server, poolSize = config.poolSize) =>
      new ServerPool({ ...config, poolSize, server, login, writeTiming }, events);
    // With auto discovery the configured servers are configuration endpoints. One of them is itself a
    // node (AWS points the endpoint at one), so until the first answer the ring uses them as nodes.
    this.topology = new Topology(
      config.servers.map((server) => this.makePool(server)),
      config.distribution,
      config.failover,
      config.hash,
    );
    this.discovery = undefined;
    if (config.autoDiscovery !== undefined) {
      const quiet: PoolEvents = { serverDown: () => {}, serverUp: () => {} };
      const endpoints = config.servers.map(
        (server) => new ServerPool({ ...config, poolSize: 1, server, login, writeTiming: ALONE }, quiet),
      );
      const onError = (error: DiscoveryError): void => {
        this.emit('discoveryError', { error });
      };
      const discovery = new AutoDiscovery(
        endpoints,
        config.autoDiscovery.interval,
        (cluster) => this.applyCluster(cluster),
        onError,
      );
      this.discovery = discovery;
      this.discovered = discovery.poll().then((cluster) => this.applyCluster(cluster), onError);
      void this.discovered.finally(() => {
        this.discovered = undefined;
        if (!this.closed) discovery.start();
      });
    }
    const log = config.logger === undefined ? undefined : logClientEvents(this, config.logger);
    if (config.credentials !== undefined && config.tls === undefined) warnIfCleartext(config.servers, log);
  }

  /** The `logger` option, for adapters to report there what nobody listens for; undefined when none. */
  get logger(): MemwireLogger | undefined {
    return this.config.logger;
  }

  /** The servers as `host:port`, in configured order. */
  get servers(): readonly string[] {
    return this.topology.pools.map((pool) => pool.address);
  }

  /** The servers marked down now, as `host:port`. */
  get downServers(): readonly string[] {
    return this.topology.pools.filter((pool) => pool.health.isDown).map((pool) => pool.address);
  }

  // ---- reads ------------------------------------------------------------------------------------

  /**
   * The value of `key`, or undefined on a miss (and, with `failover: 'miss'`, while its server is
   * marked down). Gets issued in the same tick share one `get` line per connection.
   * @typeParam T - the value's type, as keyv's and cache-manager's `get<T>` take it: an assertion the
   * codec does not check (validate what other programs write). @default the codec's output type
   * @example const user = await client.get<User>('user:1'); // User | undefined
   */
  get<T = Out>(key: string, options?: CallOptions): Promise<T | undefined>;
  get(key: string, options?: CallOptions): Promise<Out | undefined> {
    return this.run('get', 1, options, (trace) => {
      const wire = this.wireKey(key);
      const connection = this.readConnection(wire, trace);
      if (connection === undefined) return Promise.resolve(undefined);
      const sink = new ValueSink<Out>(this.codec);
      connection.retrieve('get', wire, sink);
      return sink.promise;
    });
  }

  /** The value of `key` with its CAS token (for {@link Client.cas}), or undefined on a miss. */
  gets<T = Out>(key: string, options?: CallOptions): Promise<ValueWithCas<T> | undefined>;
  gets(key: string, options?: CallOptions): Promise<ValueWithCas<Out> | undefined> {
    return this.run('gets', 1, options, (trace) => {
      const wire = this.wireKey(key);
      const connection = this.readConnection(wire, trace);
      if (connection === undefined) return Promise.resolve(undefined);
      const sink = new CasSink<Out>(this.codec);
      connection.retrieve('gets', wire, sink);
      return sink.promise;
    });
  }

  /** The value of `key`, setting its TTL in the same round trip (`gat`); undefined on a miss. */
  getAndTouch<T = Out>(key: string, ttl: number, options?: CallOptions): Promise<T | undefined>;
  getAndTouch(key: string, ttl: number, options?: CallOptions): Promise<Out | undefined> {
    return this.run('getAndTouch', 1, options, (trace) => {
      this.refuseThroughProxy('gat');
      const sink = new ValueSink<Out>(this.codec);
      return this.touchRetrieval(key, ttl, 'gat', sink, trace);
    });
  }

  /** Like {@link Client.getAndTouch}, with the CAS token (`gats`). */
  getsAndTouch<T = Out>(
    key: string,
    ttl: number,
    options?: CallOptions,
  ): Promise<ValueWithCas<T> | undefined>;
  getsAndTouch(key: string, ttl: number, options?: CallOptions): Promise<ValueWithCas<Out> | undefined> {
    return this.run('getsAndTouch', 1, options, (trace) => {
      this.refuseThroughProxy('gats');
      const sink = new CasSink<Out>(this.codec);
      return this.touchRetrieval(key, ttl, 'gats', sink, trace);
    });
  }

  /**
   * Commands on keys that are bytes (see {@link BinaryKeys}): base64 with the meta protocol's `b` flag.
   * @example
   * const key = createHash('sha1').update(url).digest(); // 20 raw bytes
   * await client.binary.set(key, page, { ttl: 60 });
   * await client.binary.get<Page>(key);
   */
  readonly binary: BinaryKeys<In, Out> = {
    get: <T = Out>(key: Uint8Array, options?: CallOptions) =>
      this.run('get', 1, options, async (trace) => {
        const wire = encodeBinaryKey(key, this.binaryPrefix);
        const found = await this.metaCall<BinaryValue>(wire, 'binary.get()', trace, BINARY_MISS, () => {
          return new MetaValueCommand(encodeMeta('mg', wire, ['b', 'v', 'f']));
        });
        return found === BINARY_MISS || found === undefined
          ? undefined
          : (this.codec.decode(found.data, found.flags) as unknown as T);
      }),
    set: (key, value, options) =>
      this.run('set', 1, options, (trace) => {
        const wire = encodeBinaryKey(key, this.binaryPrefix);
        const { data, flags } = this.encodeValue(value, trace);
        const exptime = toExptime(options?.ttl ?? this.config.ttl);
        return this.metaCall(wire, 'binary.set()', trace, undefined, () => {
          return new MetaStatusCommand(encodeMetaSet(wire, data, ['b', `F${flags}`, `T${exptime}`]));
        });
      }),
    delete: (key, options) =>
      this.run('delete', 1, options, (trace) => {
        const wire = encodeBinaryKey(key, this.binaryPrefix);
        return this.metaCall(wire, 'binary.delete()', trace, undefined, () => {
          return new MetaStatusCommand(encodeMeta('md', wire, ['b']));
        });
      }),
    touch: (key, ttl, options) =>
      this.run('touch', 1, options, (trace) => {
        const wire = encodeBinaryKey(key, this.binaryPrefix);
        const exptime = toExptime(ttl);
        return this.metaCall(wire, 'binary.touch()', trace, undefined, () => {
          return new MetaStatusCommand(encodeMeta('mg', wire, ['b', `T${exptime}`]));
        });
      }),
    ttl: (key, options) =>
      this.run('ttl', 1, options, (trace) => {
        const wire = encodeBinaryKey(key, this.binaryPrefix);
        return this.metaCall(wire, 'binary.ttl()', trace, undefined, () => {
          return new MetaTtlCommand(encodeMeta('mg', wire, ['b', 't']));
        });
      }),
  };

  /**
   * Seconds `key` has left to live: `Infinity` for an item that never expires, undefined on a miss.
   * Meta protocol only (memcached ≥ 1.6.10, see ClientOptions.protocol); on a classic-only server it
   * rejects with UnsupportedCommandError and nothing is sent.
   * @example await client.ttl('session:42'); // 1795
   */
  ttl(key: string, options?: CallOptions): Promise<number | undefined> {
    return this.run('ttl', 1, options, (trace) => {
      const wire = this.wireKey(key);
      return this.metaCall(
        wire,
        'ttl()',
        trace,
        undefined,
        () => new MetaTtlCommand(encodeMeta('mg', wire, ['t'])),
      );
    });
  }

  /**
   * Reads `key` and, when it is missing or stale, lets exactly one caller (across every process and
   * client) recompute it: memcached's own stampede protection (`mg` with `N`, meta protocol only,
   * like {@link Client.ttl}). On a miss the server keeps an empty placeholder for `ttl` seconds; the
   * first caller gets `won: true`, the others `won: false` until someone sets the key. After
   * {@link Client.invalidate}, the stale value is served to everyone and one caller wins its refresh.
   * @example
   * const lease = await client.getLease<Page>('page:/');
   * if (lease.won) await client.set('page:/', await render());
   * else if (lease.value === undefined) … // another caller is rendering: wait, or render without storing
   */
  getLease<T = Out>(key: string, options?: LeaseOptions): Promise<Lease<T>>;
  getLease(key: string, options?: LeaseOptions): Promise<Lease<Out>> {
    return this.run('getLease', 1, options, async (trace) => {
      const ttl = checkLeaseTtl(options?.ttl);
      const wire = this.wireKey(key);
      // A server down under failover 'miss': no one can coordinate, so every caller recomputes.
      const down = { data: undefined, flags: 0, cas: undefined, won: true, stale: false };
      const raw = await this.metaCall(wire, 'getLease()', trace, down, () => {
        return new MetaLeaseCommand(encodeMeta('mg', wire, ['v', 'f', 'c', `N${toExptime(ttl)}`]));
      });
      return {
        value: raw.data === undefined ? undefined : this.codec.decode(raw.data, raw.flags),
        cas: raw.cas,
        won: raw.won,
        stale: raw.stale,
      };
    });
  }

  /**
   * Marks `key` stale instead of deleting it (`md` with `I`, meta protocol only): for `ttl` seconds
   * {@link Client.getLease} still serves the old value, to one caller with `won: true` (it
   * recomputes) and to the others as stale. Resolves false when there was no item.
   */
  invalidate(key: string, options?: InvalidateOptions): Promise<boolean> {
    return this.run('invalidate', 1, options, (trace) => {
      const ttl = checkLeaseTtl(options?.ttl);
      const wire = this.wireKey(key);
      return this.metaCall(wire, 'invalidate()', trace, undefined, () => {
        return new MetaDeleteCommand(encodeMeta('md', wire, ['I', `T${toExptime(ttl)}`]));
      });
    });
  }

  /**
   * The hits among `keys`, as a Map keyed by the caller's keys; misses are absent. One round trip
   * per server, all servers in parallel. Keys of a server marked down are misses under
   * `failover: 'miss'`; a server failing during the call rejects it unless `onServerError: 'miss'`.
   */
  getMany<T = Out>(keys: Iterable<string>, options?: GetManyOptions): Promise<Map<string, T>>;
  getMany(keys: Iterable<string>, options?: GetManyOptions): Promise<Map<string, Out>> {
    // An array is read in place only when it is read before this returns (every key checked and
    // handed over at once). Until the first discovery answer, run() starts the call later, when the
    // caller may have reused its array: then it is copied now.
    const list =
      Array.isArray(keys) && this.discovered === undefined ? (keys as readonly string[]) : [...keys];
    return this.run('getMany', list.length, options, async () => {
      const perServer = this.fetchPerServer(list);
      const missOnError = options?.onServerError === 'miss';
      // One server (the usual case): its sink's Map is the answer, not copied.
      if (perServer.length === 1 && !missOnError) return perServer[0]!.promise;
      const result = new Map<string, Out>();
      const settled = await Promise.all(
        perServer.map(({ promise }) => (missOnError ? settle(promise) : promise)),
      );
      for (const hits of settled) {
        const map = hits instanceof Map ? hits : hits.ok ? hits.value : undefined;
        if (map !== undefined) for (const [key, value] of map) result.set(key, value);
      }
      return result;
    });
  }

  /**
   * Every key's outcome: `{ ok: true, value }` (value undefined on a miss) or `{ ok: false, error }`
   * with the error of the server holding the key (one that is marked down included). Never rejects
   * for a server's failure, only for invalid input.
   */
  getManySettled<T = Out>(
    keys: Iterable<string>,
    options?: CallOptions,
  ): Promise<Map<string, Outcome<T | undefined>>>;
  getManySettled(
    keys: Iterable<string>,
    options?: CallOptions,
  ): Promise<Map<string, Outcome<Out | undefined>>> {
    const list = [...keys];
    return this.run('getManySettled', list.length, options, async () => {
      const perServer = this.fetchPerServer(list, true);
      const result = new Map<string, Outcome<Out | undefined>>();
      const settled = await Promise.all(perServer.map(({ promise }) => settle(promise)));
      settled.forEach((outcome, i) => {
        for (const key of perServer[i]!.keys) {
          if (!outcome.ok) result.set(key, outcome);
          else result.set(key, { ok: true, value: outcome.value.get(key) });
        }
      });
      return result;
    });
  }

  // ---- writes -----------------------------------------------------------------------------------

  /** Stores `value` under `key`. Resolves true when stored. */
  set(key: string, value: In, options?: WriteOptions): Promise<boolean> {
    return this.store('set', key, value, options);
  }

  /** Stores only if `key` does not exist; false if it does. */
  add(key: string, value: In, options?: WriteOptions): Promise<boolean> {
    return this.store('add', key, value, options);
  }

  /** Stores only if `key` exists; false if it does not. */
  replace(key: string, value: In, options?: WriteOptions): Promise<boolean> {
    return this.store('replace', key, value, options);
  }

  /** Appends bytes to an existing value (its flags and TTL are kept); false if `key` does not exist. */
  append(key: string, value: In, options?: CallOptions): Promise<boolean> {
    return this.store('append', key, value, options);
  }

  /** Prepends bytes to an existing value (its flags and TTL are kept); false if `key` does not exist. */
  prepend(key: string, value: In, options?: CallOptions): Promise<boolean> {
    return this.store('prepend', key, value, options);
  }

  /** Stores only if `key` still has the CAS token `cas` from {@link Client.gets}; false if it changed or is gone. */
  cas(key: string, value: In, cas: CasToken, options?: WriteOptions): Promise<boolean> {
    return this.run('cas', 1, options, (trace) => {
      if (typeof cas !== 'string' || !/^\d+$/.test(cas)) {
        throw new InvalidArgumentError('cas must be the token returned by gets()');
      }
      const wire = this.wireKey(key);
      const { data, flags } = this.encodeValue(value, trace);
      const bytes = encodeStorage('cas', wire, flags, toExptime(options?.ttl ?? this.config.ttl), data, cas);
      return this.sendTo(wire, new StatusCommand(bytes, 'STORED'), trace);
    });
  }

  /**
   * Stores every entry (all servers in parallel, each server's share in one write) and reports each
   * key's outcome. Every key and value is checked first: invalid input rejects and nothing is sent.
   */
  setMany(
    entries: Iterable<readonly [string, In]>,
    options?: WriteOptions,
  ): Promise<Map<string, Outcome<boolean>>> {
    const list = [...entries];
    return this.run('setMany', list.length, options, async () => {
      const exptime = toExptime(options?.ttl ?? this.config.ttl);
      const commands = list.map(([key, value]) => {
        const wire = this.wireKey(key);
        return { key, wire, ...this.encodeValue(value) };
      });
      const outcomes = await Promise.all(
        this.writeEach(
          commands.map(({ wire }) => wire),
          (i) => {
            const { wire, flags, data } = commands[i]!;
            return new StatusCommand(encodeStorage('set', wire, flags, exptime, data), 'STORED');
          },
          (i, opaque) => {
            const { wire, flags, data } = commands[i]!;
            return encodeQuietSet(wire, data, exptime, flags, opaque);
          },
        ),
      );
      return new Map(commands.map(({ key }, i) => [key, outcomes[i]!]));
    });
  }

  /** Deletes `key`; false if it did not exist. */
  delete(key: string, options?: CallOptions): Promise<boolean> {
    return this.run('delete', 1, options, (trace) => {
      const wire = this.wireKey(key);
      return this.sendTo(wire, new StatusCommand(encodeDelete(wire), 'DELETED'), trace);
    });
  }

  /** Deletes every key (all servers in parallel) and reports each key's outcome (false: did not exist). */
  deleteMany(keys: Iterable<string>, options?: CallOptions): Promise<Map<string, Outcome<boolean>>> {
    const list = [...keys];
    return this.run('deleteMany', list.length, options, async () => {
      const wires = list.map((key) => this.wireKey(key));
      const outcomes = await Promise.all(
        this.writeEach(
          wires,
          (i) => new StatusCommand(encodeDelete(wires[i]!), 'DELETED'),
          (i, opaque) => encodeMeta('md', wires[i]!, ['q', `O${opaque}`]),
        ),
      );
      return new Map(list.map((key, i) => [key, outcomes[i]!]));
    });
  }

  /**
   * Adds `delta` to a decimal value and returns the new value; undefined if `key` does not exist.
   * memcached counts in unsigned 64 bits and wraps: pass a bigint delta to get a bigint back
   * (exact past 2^53).
   */
  incr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined>;
  incr(key: string, delta: bigint, options?: CallOptions): Promise<bigint | undefined>;
  incr(key: string, delta: number | bigint = 1, options?: CallOptions): Promise<number | bigint | undefined> {
    return this.arithmetic('incr', key, delta, options);
  }

  /** Subtracts `delta`, stopping at 0 (memcached never goes negative); undefined if `key` does not exist. */
  decr(key: string, delta?: number, options?: CallOptions): Promise<number | undefined>;
  decr(key: string, delta: bigint, options?: CallOptions): Promise<bigint | undefined>;
  decr(key: string, delta: number | bigint = 1, options?: CallOptions): Promise<number | bigint | undefined> {
    return this.arithmetic('decr', key, delta, options);
  }

  /** Sets a new TTL (seconds) on `key`; false if it does not exist. */
  touch(key: string, ttl: number, options?: CallOptions): Promise<boolean> {
    return this.run('touch', 1, options, (trace) => {
      const wire = this.wireKey(key);
      return this.sendTo(wire, new StatusCommand(encodeTouch(wire, toExptime(ttl)), 'TOUCHED'), trace);
    });
  }

  // ---- whole servers ----------------------------------------------------------------------------

  /** `flush_all` on every server: invalidates every item, after `delaySeconds` if given. */
  flush(delaySeconds?: number, options?: CallOptions): Promise<void> {
    return this.run('flush', 0, options, async () => {
      this.refuseThroughProxy('flush_all');
      if (delaySeconds !== undefined && (!Number.isInteger(delaySeconds) || delaySeconds < 0)) {
        throw new InvalidArgumentError('flush delay must be a whole number of seconds ≥ 0');
      }
      await this.onEveryServer(() => new OkCommand(encodeFlushAll(delaySeconds)));
    });
  }

  /** `stats [group]` of every server, keyed by `host:port`. */
  stats(group?: string, options?: CallOptions): Promise<Map<string, Record<string, string>>> {
    return this.run('stats', 0, options, () => {
      this.refuseThroughProxy('stats');
      if (group !== undefined && !/^[\w ]+$/.test(group)) {
        throw new InvalidArgumentError(`invalid stats group ${JSON.stringify(group)}`);
      }
      return this.onEveryServer(() => new StatsCommand(encodeStats(group), this.config.maxReplyValueSize));
    });
  }

  /** Hit ratio, evictions, items, memory and connections of every server, keyed by `host:port`. */
  async statsSummary(options?: CallOptions): Promise<Map<string, StatsSummary>> {
    const stats = await this.stats(undefined, options);
    return new Map([...stats].map(([server, raw]) => [server, summarizeStats(raw)]));
  }

  /** The version of every server, keyed by `host:port`. */
  version(options?: CallOptions): Promise<Map<string, string>> {
    return this.run('version', 0, options, () =>
      this.onEveryServer(() => new VersionCommand(encodeVersion())),
    );
  }

  /**
   * The protocol each server is spoken to in for the commands that have a meta form (see
   * ClientOptions.protocol), asking the servers not yet asked. Rejects when a server cannot be asked.
   * @example await client.protocols(); // Map { 'cache:11211' => 'meta' }
   */
  protocols(options?: CallOptions): Promise<Map<string, 'meta' | 'classic'>> {
    return this.run('protocols', 0, options, async () => {
      const pools = this.topology.pools;
      const answers = await Promise.all(pools.map((pool) => pool.meta.speaksMeta()));
      return new Map(pools.map((pool, i) => [pool.address, answers[i] ? 'meta' : 'classic'] as const));
    });
  }

  /**
   * The protocol the server holding `key` is spoken to in, if known now without asking: `'meta'`,
   * `'classic'`, or undefined before the server has been asked (see {@link Client.protocols}). For
   * adapters that pair a meta-only call with others and skip them where it would be refused.
   */
  protocolOf(key: string): 'meta' | 'classic' | undefined {
    const known = this.topology.route(this.wireKey(key)).meta.known;
    return known === undefined ? undefined : known ? 'meta' : 'classic';
  }

  /** Sets the servers' log verbosity (`verbosity <level>`). */
  verbosity(level: number, options?: CallOptions): Promise<void> {
    return this.run('verbosity', 0, options, async () => {
      this.refuseThroughProxy('verbosity');
      if (!Number.isInteger(level) || level < 0) {
        throw new InvalidArgumentError('verbosity level must be a whole number ≥ 0');
      }
      await this.onEveryServer(() => new OkCommand(encodeVerbosity(level)));
    });
  }

  /**
   * Sends `quit` to every server after the commands already issued, and waits for the sockets to
   * close. The client stays usable: the next command reconnects.
   */
  async quit(): Promise<void> {
    await Promise.all(this.topology.pools.map((pool) => pool.end(false)));
  }

  /**
   * Closes the client: commands already issued still get their replies, later ones reject with
   * ClientClosedError. Resolves once every socket is closed; no socket, timer or probe is left
   * keeping the process alive.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.topology.pools.map((pool) => pool.end(true)), this.discovery?.close()]);
  }

  /**
   * What `JSON.stringify` shows of a client (a logger serialising an object that holds one): the
   * servers and where each setting came from, never a credential. Without it the connections'
   * back-references would make JSON.stringify throw.
   */
  toJSON(): { servers: readonly string[]; sources: ResolvedConfig<In, Out>['sources'] } {
    return { servers: this.servers, sources: { ...this.config.sources } };
  }

  // ---- internals --------------------------------------------------------------------------------

  /** twemproxy closes the connection on commands it does not forward: refuse them before sending. */
  private refuseThroughProxy(word: string): void {
    if (this.config.proxy === 'twemproxy') {
      throw new UnsupportedCommandError(`twemproxy does not support "${word}"; nothing was sent`);
    }
  }

  /**
   * Swaps in the ring of a newly discovered node list: nodes already known keep their connections,
   * new ones get pools, and removed ones are drained (their in-flight commands finish, then `quit`).
   */
  private applyCluster(cluster: ClusterConfig): void {
    if (this.closed || cluster.version === this.clusterVersion) return;
    const known = new Map(this.topology.pools.map((pool) => [pool.address, pool]));
    const pools = cluster.nodes.map(
      (node) => known.get(formatAddress(node)) ?? this.makePool(node, this.config.poolSize),
    );
    const kept = new Set(pools);
    this.topology = new Topology(pools, this.config.distribution, this.config.failover, this.config.hash);
    this.clusterVersion = cluster.version;
    for (const pool of known.values()) if (!kept.has(pool)) void pool.end(true);
    this.emit('topologyChange', { servers: pools.map((pool) => pool.address), version: cluster.version });
  }

  /**
   * The connection to read `wire` from, or undefined when its server is marked down and
   * `failover: 'miss'` makes that a miss without asking.
   */
  private readConnection(wire: string, trace: CommandTrace | undefined): Connection | undefined {
    const pool = this.topology.route(wire);
    if (trace !== undefined) trace.server = pool.address;
    if (this.missesWhileDown(pool)) return undefined;
    return pool.forKey(wire);
  }

  /** Under `failover: 'miss'`, a server down for an outage answers reads with misses, unasked. */
  private missesWhileDown(pool: ServerPool): boolean {
    return pool.health.isDown && this.config.failover === 'miss' && !pool.health.refusedLogin;
  }

  /**
   * Runs `start` unless the client is closed or the signal aborted, turning a synchronous throw into a
   * rejection, and publishing on the `memwire:command` tracing channel when someone listens.
   */
  private run<T>(
    command: string,
    keys: number,
    options: CallOptions | undefined,
    start: (trace: CommandTrace | undefined) => Promise<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    if (this.discovered !== undefined)
      return this.discovered.then(() => this.run(command, keys, options, start));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    let promise: Promise<T>;
    // Commands are created synchronously inside start(); sendTo() and friends hand them this signal,
    // so a connection can drop one that is aborted before it is written.
    const outerSignal = this.callSignal;
    this.callSignal = signal;
    try {
      if (isTracing()) {
        const trace: CommandTrace = { command, keys };
        promise = traceCommand(trace, () => start(trace));
      } else {
        promise = start(undefined);
      }
    } catch (error) {
      return Promise.reject(error);
    } finally {
      this.callSignal = outerSignal;
    }
    return signal === undefined ? promise : abortable(promise, signal);
  }

  /**
   * Groups `keys` by server and asks each server for its share in parallel. Every key is checked
   * before anything is sent. A server marked down under `failover: 'miss'` is skipped (its keys are
   * misses), unless `reportDown` asks for its error instead.
   */
  private fetchPerServer(
    keys: readonly string[],
    reportDown = false,
  ): { keys: readonly string[]; promise: Promise<Map<string, Out>> }[] {
    // Arrays rather than Maps, and a wire → caller map only when a prefix renames keys: a getMany's
    // cost is per key, and most calls go to one server with keys as given. A key asked twice is asked
    // twice of the connection, which sends it once (RetrievalCommand) and reports it to the sink once
    // per registration.
    if (keys.length === 0) return [];
    const wires = new Array<string>(keys.length);
    let renamed = false;
    for (let i = 0; i < keys.length; i++) {
      const wire = this.wireKey(keys[i]!);
      if (wire !== keys[i]) renamed = true;
      wires[i] = wire;
    }
    const sole = this.topology.sole;
    const groups: Iterable<[ServerPool, { wires: readonly string[]; callers: readonly string[] }]> =
      sole === undefined ? groupByPool(this.topology, wires, keys) : [[sole, { wires, callers: keys }]];
    const perServer: { keys: readonly string[]; promise: Promise<Map<string, Out>> }[] = [];
    for (const [pool, { wires, callers }] of groups) {
      if (this.missesWhileDown(pool)) {
        const promise = reportDown ? Promise.reject(pool.health.downError()) : Promise.resolve(new Map());
        perServer.push({ keys: callers, promise });
        continue;
      }
      const sink = new ManySink<Out>(this.codec, renamed ? wireToCaller(wires, callers) : undefined);
      sink.expect(wires.length);
      // Each connection's share handed over at once: one room check, not one per key. With several
      // connections, every share is checked before any is sent, so a refused getMany sends nothing to
      // the server (the refusing connection's retrieveMany fails the sink with its QueueFullError).
      const shares = pool.byConnection(wires);
      const refused = shares.size > 1 ? [...shares].find(([c, share]) => !c.fits(share.length)) : undefined;
      if (refused !== undefined) refused[0].retrieveMany('get', refused[1], sink);
      else for (const [connection, share] of shares) connection.retrieveMany('get', share, sink);
      perServer.push({ keys: callers, promise: sink.promise });
    }
    return perServer;
  }

  /**
   * Sends a meta-only command for `wire` once its server is known to speak meta (asking it first if
   * not yet known; see ClientOptions.protocol); UnsupportedCommandError, with nothing sent, if it
   * does not. `whileDown` is the answer of a server marked down under `failover: 'miss'` (a read's
   * miss); undefined: the command is sent and fails fast like any other.
   */
  private metaCall<T>(
    wire: string,
    what: string,
    trace: CommandTrace | undefined,
    whileDown: T | undefined,
    make: () => Parameters<Connection['send']>[0] & { promise: Promise<T>; signal: AbortSignal | undefined },
  ): Promise<T> {
    const signal = this.callSignal;
    const pool = this.topology.route(wire);
    if (trace !== undefined) trace.server = pool.address;
    if (whileDown !== undefined && this.missesWhileDown(pool)) return Promise.resolve(whileDown);
    const send = (speaksMeta: boolean): Promise<T> => {
      if (!speaksMeta) {
        const reason = this.config.protocol === 'classic' ? "protocol: 'classic'" : 'no meta protocol';
        return Promise.reject(
          new UnsupportedCommandError(
            `${what} needs memcached's meta protocol (${pool.address}: ${reason}); nothing was sent`,
          ),
        );
      }
      const command = make();
      command.signal = signal;
      pool.forKey(wire).send(command);
      return command.promise;
    };
    const known = pool.meta.known;
    return known === undefined ? pool.meta.speaksMeta().then(send) : send(known);
  }

  /**
   * One write per key, all sent in this tick (so they keep their order with the calls after them). A
   * server known to speak meta gets each connection's share as one quiet batch (`q` on every command,
   * one `mn` after them: one reply line for the whole batch when all succeed); any other server gets
   * the classic commands, one reply each, and is asked about meta in the background for next time.
   */
  private writeEach(
    wires: readonly string[],
    classic: (index: number) => StatusCommand,
    quiet: (index: number, opaque: number) => Wire,
  ): Promise<Outcome<boolean>>[] {
    const outcomes: Promise<Outcome<boolean>>[] = new Array(wires.length);
    const batches = new Map<Connection, number[]>();
    wires.forEach((wire, i) => {
      const pool = this.topology.route(wire);
      if (pool.meta.known !== true) {
        pool.meta.warm();
        outcomes[i] = settle(this.sendTo(wire, classic(i)));
        return;
      }
      // A key keeps to its own connection, as every other command on it does, so its order holds.
      const connection = pool.forKey(wire);
      const batch = batches.get(connection);
      if (batch === undefined) batches.set(connection, [i]);
      else batch.push(i);
    });
    for (const [connection, all] of batches) {
      // Bounded batches: one command is one write and one deadline, and counts whole against
      // maxPendingCommands, which a 20,000-key batch would exceed on its own.
      for (let start = 0; start < all.length; start += MAX_BATCH) {
        const indexes = all.slice(start, start + MAX_BATCH);
        const batch = new MetaBatchCommand(indexes.map((i, opaque) => ({ bytes: quiet(i, opaque) })));
        batch.signal = this.callSignal;
        connection.send(batch);
        const settled = settle(batch.promise);
        indexes.forEach((i, opaque) => {
          outcomes[i] = settled.then((results) => (results.ok ? toOutcome(results.value[opaque]!) : results));
        });
      }
    }
    return outcomes;
  }

  private touchRetrieval<R>(
    key: string,
    ttl: number,
    verb: 'gat' | 'gats',
    sink: ValueSink<Out> | CasSink<Out>,
    trace: CommandTrace | undefined,
  ): Promise<R | undefined> {
    const exptime = toExptime(ttl);
    const wire = this.wireKey(key);
    const connection = this.readConnection(wire, trace);
    if (connection === undefined) return Promise.resolve(undefined);
    const command = new RetrievalCommand((keys) => encodeTouchRetrieval(verb, exptime, keys));
    command.signal = this.callSignal;
    command.add(wire, sink);
    connection.send(command);
    return sink.promise as Promise<R | undefined>;
  }

  private sendTo<T>(
    wire: string,
    command: { promise: Promise<T>; signal: AbortSignal | undefined } & Parameters<Connection['send']>[0],
    trace?: CommandTrace,
    /** `wire`'s server, when the caller has routed it already. */
    pool: ServerPool = this.topology.route(wire),
  ): Promise<T> {
    command.signal = this.callSignal;
    if (trace !== undefined) trace.server = pool.address;
    // Keyed: a get line of other keys stays open past it (Connection.send).
    pool.forKey(wire).send(command, wire);
    return command.promise;
  }

  private encodeValue(value: In, trace?: CommandTrace): EncodedValue {
    const encoded = this.codec.encode(value);
    const size = byteLength(encoded.data);
    if (size > this.config.maxValueSize) throw new ValueTooLargeError(size, this.config.maxValueSize);
    if (trace !== undefined) trace.bytes = size;
    return encoded;
  }

  private store(
    verb: StorageVerb,
    key: string,
    value: In,
    options: WriteOptions | undefined,
  ): Promise<boolean> {
    return this.run(verb, 1, options, (trace) => {
      const wire = this.wireKey(key);
      const { data, flags } = this.encodeValue(value, trace);
      const exptime = toExptime(options?.ttl ?? this.config.ttl);
      // A plain set to a server speaking meta joins the tick's line of sets (set-line.ts), quiet from
      // two sets: one reply for the line when every set succeeds. A caller's signal needs a command
      // of its own, which the connection can drop unwritten; add/replace/append/prepend stay classic,
      // each with its answer; so does a large value, the one a server's smaller item size (-I)
      // refuses with an error line that names no command and would fail the line's other sets too.
      const pool = this.topology.route(wire);
      if (verb === 'set' && this.callSignal === undefined && fitsSetLine(data)) {
        const known = pool.meta.known;
        if (known === true) {
          if (trace !== undefined) trace.server = pool.address;
          const set = new LineSet(wire, data, flags, exptime);
          pool.forKey(wire).storeInLine(set);
          return set.promise;
        }
        if (known === undefined) pool.meta.warm();
      }
      const bytes = encodeStorage(verb, wire, flags, exptime, data);
      return this.sendTo(wire, new StatusCommand(bytes, 'STORED'), trace, pool);
    });
  }

  private arithmetic(
    verb: 'incr' | 'decr',
    key: string,
    delta: number | bigint,
    options: CallOptions | undefined,
  ): Promise<number | bigint | undefined> {
    return this.run(verb, 1, options, async (trace) => {
      const asBigint = typeof delta === 'bigint';
      const valid = asBigint
        ? delta >= 0n && delta < 2n ** 64n
        : typeof delta === 'number' && Number.isSafeInteger(delta) && delta >= 0;
      if (!valid) throw new InvalidArgumentError(`${verb} delta must be a whole number from 0 to 2^64-1`);
      const wire = this.wireKey(key);
      const text = await this.sendTo(
        wire,
        new ArithmeticCommand(encodeArithmetic(verb, wire, String(delta))),
        trace,
      );
      if (text === undefined) return undefined;
      return asBigint ? BigInt(text) : Number(text);
    });
  }

  private async onEveryServer<T>(
    make: () => { promise: Promise<T>; signal: AbortSignal | undefined } & Parameters<Connection['send']>[0],
  ): Promise<Map<string, T>> {
    const pools = this.topology.pools;
    const signal = this.callSignal;
    const results = await Promise.all(
      pools.map((pool) => {
        const command = make();
        command.signal = signal;
        pool.primary.send(command);
        return command.promise;
      }),
    );
    return new Map(results.map((result, i) => [pools[i]!.address, result]));
  }
}

/** Largest value a set sends in a line of sets (see Client.store): far below any server's item size. */
const MAX_QUIET_VALUE = 16 * 1024;

function fitsSetLine(data: Uint8Array | string): boolean {
  // A string's UTF-8 form takes at most 3 bytes per UTF-16 unit: most values are decided unmeasured.
  if (typeof data !== 'string') return data.length <= MAX_QUIET_VALUE;
  return data.length * 3 <= MAX_QUIET_VALUE || byteLength(data) <= MAX_QUIET_VALUE;
}

function toOutcome(result: boolean | MemwireError): Outcome<boolean> {
  return typeof result === 'boolean' ? { ok: true, value: result } : { ok: false, error: result };
}

function checkLeaseTtl(ttl: number | undefined): number {
  const seconds = ttl ?? DEFAULT_LEASE_TTL;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new InvalidArgumentError(`a lease ttl must be a whole number of seconds > 0, got ${String(ttl)}`);
  }
  return seconds;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Creates a client. With no options it reads `MEMCACHIER_*` / `MEMCACHE_*` from the environment,
 * else connects to 127.0.0.1:11211. Connections open lazily, on the first command.
 *
 * @example
 * const client = createClient(); // MEMCACHE_SERVERS, MEMCACHE_USERNAME, MEMCACHE_PASSWORD
 * await client.set('greeting', 'hello', { ttl: 60 });
 * await client.get('greeting'); // 'hello'
 */
export function createClient<In = Value, Out = In>(options?: ClientOptions<In, Out>): Client<In, Out> {
  return new Client<In, Out>(options);
}

/** `wires` (and the caller's keys they stand for, index for index) grouped by server. */
function groupByPool(
  topology: Topology,
  wires: readonly string[],
  callers: readonly string[],
): Map<ServerPool, { wires: string[]; callers: string[] }> {
  const byPool = new Map<ServerPool, { wires: string[]; callers: string[] }>();
  let lastPool: ServerPool | undefined;
  let group: { wires: string[]; callers: string[] } | undefined;
  for (let i = 0; i < wires.length; i++) {
    const pool = topology.route(wires[i]!);
    if (pool !== lastPool) {
      lastPool = pool;
      group = byPool.get(pool);
      if (group === undefined) {
        group = { wires: [], callers: [] };
        byPool.set(pool, group);
      }
    }
    group!.wires.push(wires[i]!);
    group!.callers.push(callers[i]!);
  }
  return byPool;
}

/**
 * wire key → the caller's key, for a sink whose keys a prefix renamed; the caller's keys, when a
 * keyFunction sends several of them as one key (case folding, hashing), so each gets the value.
 */
function wireToCaller(wires: readonly string[], callers: readonly string[]): Map<string, string | string[]> {
  const map = new Map<string, string | string[]>();
  for (let i = 0; i < wires.length; i++) {
    const caller = callers[i]!;
    const known = map.get(wires[i]!);
    if (known === undefined) map.set(wires[i]!, caller);
    else if (typeof known === 'string') {
      if (known !== caller) map.set(wires[i]!, [known, caller]);
    } else if (!known.includes(caller)) known.push(caller);
  }
  return map;
}

/** What a binary get answers for a server marked down under `failover: 'miss'`: a miss. */
const BINARY_MISS: unique symbol = Symbol('binary miss');
type BinaryValue = { data: Buffer; flags: number } | undefined | typeof BINARY_MISS;
