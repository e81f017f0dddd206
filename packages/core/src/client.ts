import { LoginFlow } from './auth/login.js';
import { createSelector, type ServerSelector } from './cluster/selector.js';
import type { Codec, EncodedValue } from './codec/codec.js';
import type { Value } from './codec/default-codec.js';
import type { ClientOptions } from './config/options.js';
import { type ResolvedConfig, resolveConfig } from './config/resolve.js';
import {
  ArithmeticCommand,
  OkCommand,
  StatsCommand,
  StatusCommand,
  VersionCommand,
} from './connection/commands.js';
import type { Connection } from './connection/connection.js';
import { ServerPool } from './connection/pool.js';
import { RetrievalCommand } from './connection/retrieval.js';
import { AbortError, ClientClosedError, InvalidArgumentError, ValueTooLargeError } from './errors.js';
import { CasSink, type CasToken, ManySink, ValueSink, type ValueWithCas } from './get-sinks.js';
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
} from './protocol/encoder.js';
import { createKeyMapper } from './protocol/keys.js';
import { toExptime } from './protocol/ttl.js';
import { warnIfCleartext } from './warnings.js';

/** Options every call accepts. */
export interface CallOptions {
  /**
   * Stops waiting for the reply: the promise rejects with an AbortError at once. A command already
   * written may still take effect on the server.
   */
  signal?: AbortSignal | undefined;
}

/** Options of writes. */
export interface WriteOptions extends CallOptions {
  /** Seconds: 0 = never expire, over 30 days = sent as a Unix time, negative = expire at once. @default options.ttl */
  ttl?: number | undefined;
}

/**
 * A memcached client over the text protocol, for one server or many (keys spread by ketama).
 * Create it with {@link createClient}. Misses and refused writes are results (`undefined`, `false`);
 * failures reject with a {@link MemwireError} subclass.
 */
export class Client<In = Value, Out = In> {
  private readonly config: ResolvedConfig<In, Out>;
  private readonly pools: ServerPool[];
  private readonly selector: ServerSelector;
  private readonly wireKey: (key: string) => string;
  private readonly codec: Codec<In, Out>;
  private closed = false;

  constructor(options: ClientOptions<In, Out> = {}) {
    this.config = resolveConfig(options);
    const config = this.config;
    this.codec = config.codec;
    this.wireKey = createKeyMapper(config);
    this.selector = createSelector(config.servers, config.distribution);
    const login = () =>
      config.credentials === undefined ? undefined : new LoginFlow(config.authDialect, config.credentials);
    this.pools = config.servers.map((server) => new ServerPool({ ...config, server, login }));
    if (config.credentials !== undefined && config.tls === undefined) warnIfCleartext(config.servers);
  }

  /** The servers as `host:port`, in configured order. */
  get servers(): readonly string[] {
    return this.pools.map((pool) => pool.address);
  }

  /** The value of `key`, or undefined on a miss. Gets issued in the same tick share one `get` line per server. */
  get(key: string, options?: CallOptions): Promise<Out | undefined> {
    return this.run(options, () => {
      const wire = this.wireKey(key);
      const sink = new ValueSink<Out>(this.codec);
      this.route(wire).retrieve('get', wire, sink);
      return sink.promise;
    });
  }

  /** The hits among `keys`, as a Map keyed by the caller's keys; misses are absent. One round trip per server. */
  getMany(keys: Iterable<string>, options?: CallOptions): Promise<Map<string, Out>> {
    return this.run(options, () => {
      const callerKeys = new Map<string, string>();
      for (const key of keys) callerKeys.set(this.wireKey(key), key);
      const sink = new ManySink<Out>(this.codec, callerKeys);
      if (callerKeys.size === 0) return Promise.resolve(sink.result);
      for (const wire of callerKeys.keys()) {
        sink.expect();
        this.route(wire).retrieve('get', wire, sink);
      }
      return sink.promise;
    });
  }

  /** The value of `key` with its CAS token (for {@link Client.cas}), or undefined on a miss. */
  gets(key: string, options?: CallOptions): Promise<ValueWithCas<Out> | undefined> {
    return this.run(options, () => {
      const wire = this.wireKey(key);
      const sink = new CasSink<Out>(this.codec);
      this.route(wire).retrieve('gets', wire, sink);
      return sink.promise;
    });
  }

  /** The value of `key`, setting its TTL in the same round trip (`gat`); undefined on a miss. */
  getAndTouch(key: string, ttl: number, options?: CallOptions): Promise<Out | undefined> {
    return this.run(options, () => {
      const wire = this.wireKey(key);
      const sink = new ValueSink<Out>(this.codec);
      this.sendRetrieval(wire, ttl, 'gat', sink);
      return sink.promise;
    });
  }

  /** Like {@link Client.getAndTouch}, with the CAS token (`gats`). */
  getsAndTouch(key: string, ttl: number, options?: CallOptions): Promise<ValueWithCas<Out> | undefined> {
    return this.run(options, () => {
      const wire = this.wireKey(key);
      const sink = new CasSink<Out>(this.codec);
      this.sendRetrieval(wire, ttl, 'gats', sink);
      return sink.promise;
    });
  }

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
    return this.run(options, () => {
      if (typeof cas !== 'string' || !/^\d+$/.test(cas)) {
        throw new InvalidArgumentError('cas must be the token returned by gets()');
      }
      const wire = this.wireKey(key);
      const { data, flags } = this.encodeValue(value);
      const bytes = encodeStorage('cas', wire, flags, toExptime(options?.ttl ?? this.config.ttl), data, cas);
      return this.sendTo(wire, new StatusCommand(bytes, 'STORED'));
    });
  }

  /** Deletes `key`; false if it did not exist. */
  delete(key: string, options?: CallOptions): Promise<boolean> {
    return this.run(options, () => {
      const wire = this.wireKey(key);
      return this.sendTo(wire, new StatusCommand(encodeDelete(wire), 'DELETED'));
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
    return this.run(options, () => {
      const wire = this.wireKey(key);
      return this.sendTo(wire, new StatusCommand(encodeTouch(wire, toExptime(ttl)), 'TOUCHED'));
    });
  }

  /** `flush_all` on every server: invalidates every item, after `delaySeconds` if given. */
  flush(delaySeconds?: number, options?: CallOptions): Promise<void> {
    return this.run(options, async () => {
      if (delaySeconds !== undefined && (!Number.isInteger(delaySeconds) || delaySeconds < 0)) {
        throw new InvalidArgumentError('flush delay must be a whole number of seconds ≥ 0');
      }
      await this.onEveryServer(() => new OkCommand(encodeFlushAll(delaySeconds)));
    });
  }

  /** `stats [group]` of every server, keyed by `host:port`. */
  stats(group?: string, options?: CallOptions): Promise<Map<string, Record<string, string>>> {
    return this.run(options, () => {
      if (group !== undefined && !/^[\w ]+$/.test(group)) {
        throw new InvalidArgumentError(`invalid stats group ${JSON.stringify(group)}`);
      }
      return this.onEveryServer(() => new StatsCommand(encodeStats(group)));
    });
  }

  /** The version of every server, keyed by `host:port`. */
  version(options?: CallOptions): Promise<Map<string, string>> {
    return this.run(options, () => this.onEveryServer(() => new VersionCommand(encodeVersion())));
  }

  /** Sets the servers' log verbosity (`verbosity <level>`). */
  verbosity(level: number, options?: CallOptions): Promise<void> {
    return this.run(options, async () => {
      if (!Number.isInteger(level) || level < 0)
        throw new InvalidArgumentError('verbosity level must be a whole number ≥ 0');
      await this.onEveryServer(() => new OkCommand(encodeVerbosity(level)));
    });
  }

  /**
   * Sends `quit` to every server after the commands already issued, and waits for the sockets to
   * close. The client stays usable: the next command reconnects.
   */
  async quit(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.end(false)));
  }

  /**
   * Closes the client: commands already issued still get their replies, later ones reject with
   * ClientClosedError. Resolves once every socket is closed; nothing is left keeping the process alive.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.pools.map((pool) => pool.end(true)));
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Runs `start` unless the client is closed, turning a synchronous throw into a rejection. */
  private run<T>(options: CallOptions | undefined, start: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    let promise: Promise<T>;
    try {
      promise = start();
    } catch (error) {
      return Promise.reject(error);
    }
    return signal === undefined ? promise : abortable(promise, signal);
  }

  private route(wire: string): Connection {
    const pools = this.pools;
    return (pools.length === 1 ? pools[0]! : pools[this.selector.serverFor(wire)]!).forKey(wire);
  }

  private sendTo<T>(
    wire: string,
    command: { promise: Promise<T> } & Parameters<Connection['send']>[0],
  ): Promise<T> {
    this.route(wire).send(command);
    return command.promise;
  }

  private sendRetrieval(
    wire: string,
    ttl: number,
    verb: 'gat' | 'gats',
    sink: ValueSink<Out> | CasSink<Out>,
  ): void {
    const exptime = toExptime(ttl);
    const command = new RetrievalCommand((keys) => encodeTouchRetrieval(verb, exptime, keys));
    command.add(wire, sink);
    this.route(wire).send(command);
  }

  private encodeValue(value: In): EncodedValue {
    const encoded = this.codec.encode(value);
    const size = byteLength(encoded.data);
    if (size > this.config.maxValueSize) throw new ValueTooLargeError(size, this.config.maxValueSize);
    return encoded;
  }

  private store(
    verb: StorageVerb,
    key: string,
    value: In,
    options: WriteOptions | undefined,
  ): Promise<boolean> {
    return this.run(options, () => {
      const wire = this.wireKey(key);
      const { data, flags } = this.encodeValue(value);
      const exptime = toExptime(options?.ttl ?? this.config.ttl);
      return this.sendTo(wire, new StatusCommand(encodeStorage(verb, wire, flags, exptime, data), 'STORED'));
    });
  }

  private arithmetic(
    verb: 'incr' | 'decr',
    key: string,
    delta: number | bigint,
    options: CallOptions | undefined,
  ): Promise<number | bigint | undefined> {
    return this.run(options, async () => {
      const asBigint = typeof delta === 'bigint';
      const valid = asBigint
        ? delta >= 0n && delta < 2n ** 64n
        : typeof delta === 'number' && Number.isSafeInteger(delta) && delta >= 0;
      if (!valid) throw new InvalidArgumentError(`${verb} delta must be a whole number from 0 to 2^64-1`);
      const wire = this.wireKey(key);
      const text = await this.sendTo(
        wire,
        new ArithmeticCommand(encodeArithmetic(verb, wire, String(delta))),
      );
      if (text === undefined) return undefined;
      return asBigint ? BigInt(text) : Number(text);
    });
  }

  private async onEveryServer<T>(
    make: () => { promise: Promise<T> } & Parameters<Connection['send']>[0],
  ): Promise<Map<string, T>> {
    const results = await Promise.all(
      this.pools.map((pool) => {
        const command = make();
        pool.primary.send(command);
        return command.promise;
      }),
    );
    return new Map(results.map((result, i) => [this.pools[i]!.address, result]));
  }
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
