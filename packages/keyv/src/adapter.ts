import { EventEmitter } from 'node:events';
import { createClient, type MemwireError, type Outcome, type Value } from '@memwire/core';
import { type Generations, generationsOf, type MemwireClient } from './generations.js';
import { namespaceKeys } from './namespace-keys.js';
import { clientOptionsOf, KEYV_MEMWIRE_DEFAULTS, type KeyvMemwireOptions } from './options.js';
import { toWriteOptions } from './ttl.js';

/** One entry of `setMany`, as Keyv passes it: `ttl` in milliseconds. */
export interface KeyvMemwireEntry {
  key: string;
  value: Value;
  /** Milliseconds; `undefined` or 0 = never expire. */
  ttl?: number | undefined;
}

/** The adapter's events. Keyv listens to `'error'` and re-emits it on the Keyv instance. */
export interface KeyvMemwireEvents {
  /** A command failed; the call resolved as a miss (`undefined`) or `false`. */
  error: [error: unknown];
}

/** What the adapter exposes as `opts`, Keyv's convention (no servers or credentials in it). */
export interface KeyvMemwireAdapterOptions {
  dialect: 'memcached';
  throwOnErrors: boolean;
  [option: string]: unknown;
}

/**
 * A Keyv storage adapter for memcached, on `@memwire/core`. Written to the keyv 5 adapter contract
 * (`set(key, value, ttlMs)`, its own `namespace`, every optional method, no `iterator`), so keyv 5
 * uses it directly and keyv 6 through its bridge, which leaves the namespace to it.
 *
 * - `clear()` clears only this namespace: it bumps the namespace's generation number (one `incr`),
 *   which is part of every key, so older keys are never read again and memcached's LRU reclaims
 *   them. Other namespaces, other apps and other clients' keys are untouched; `flush_all` is never sent.
 * - Every command checks the generation in the same round trip, so a `clear()` made by any process
 *   is seen by the next command of every other (one extra small `get`, sent alongside).
 * - TTLs are milliseconds, sent as seconds rounded up (500 ms expires within about a second).
 * - Failures never reject: they are emitted as `'error'` (which Keyv re-emits) and a read resolves as
 *   a miss, a write as `false`; a server marked down reads as a miss without an event.
 *
 * @example
 * import Keyv from 'keyv';
 * import { KeyvMemwire } from '@memwire/keyv';
 *
 * const keyv = new Keyv({ store: new KeyvMemwire('memcache://cache:11211'), namespace: 'app' });
 * keyv.on('error', (error) => console.error('cache', error));
 * await keyv.set('user:1', { name: 'Ada' }, 60_000); // expires in 60 s
 * await keyv.get('user:1'); // { name: 'Ada' }
 * await keyv.clear(); // only namespace 'app'
 */
export class KeyvMemwire extends EventEmitter<KeyvMemwireEvents> {
  /** The memcached client the adapter speaks through. */
  readonly client: MemwireClient;
  /**
   * The namespace: the first segment of every key and what `clear()` clears. Keyv sets it.
   * @default undefined
   */
  namespace: string | undefined;
  /**
   * Rethrow failures after emitting them (see {@link KeyvMemwireOptions.throwOnErrors}).
   * @default false
   */
  throwOnErrors: boolean;
  /** Keyv's `opts` convention: the adapter's own settings, never servers or credentials. */
  readonly opts: KeyvMemwireAdapterOptions;
  private readonly ownsClient: boolean;
  private readonly generations: Generations;

  /**
   * @param connection - a `Client` to use (left open by `disconnect()`), a `memcache://` URL or
   *   `host:port` list, or options. Nothing: the environment (`MEMCACHIER_*` / `MEMCACHE_*`), else
   *   `127.0.0.1:11211`, as the core reads it.
   * @param options - more options, when `connection` is a client or a URL.
   * @example
   * new KeyvMemwire(); // MEMCACHE_SERVERS etc.
   * new KeyvMemwire('memcache://user:pass@cache:11211', { namespace: 'app' });
   * new KeyvMemwire(createClient({ servers: 'cache:11211' }));
   */
  constructor(connection?: MemwireClient | string | KeyvMemwireOptions, options: KeyvMemwireOptions = {}) {
    super();
    const settings: KeyvMemwireOptions =
      typeof connection === 'string'
        ? { ...options, servers: connection }
        : isClient(connection)
          ? { ...options, client: connection }
          : { ...connection, ...options };
    this.ownsClient = settings.client === undefined;
    this.client = settings.client ?? createClient(clientOptionsOf(settings));
    this.namespace = settings.namespace ?? KEYV_MEMWIRE_DEFAULTS.namespace;
    this.throwOnErrors = settings.throwOnErrors ?? KEYV_MEMWIRE_DEFAULTS.throwOnErrors;
    this.opts = { dialect: 'memcached', throwOnErrors: this.throwOnErrors };
    this.generations = generationsOf(this.client);
  }

  /**
   * The value stored under `key`, or `undefined` on a miss or a failure.
   * @example await adapter.get('keyv:user:1'); // the string Keyv serialised, or undefined
   */
  async get<T = Value>(key: string): Promise<T | undefined> {
    const [value] = await this.getMany<T>([key]);
    return value;
  }

  /**
   * The values of `keys`, in order, `undefined` for misses. One `get` line per server, all servers
   * in parallel (the generation check rides along).
   * @example await adapter.getMany(['a', 'b']); // ['1', undefined]
   */
  async getMany<T = Value>(keys: string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return [];
    const outcomes = await this.withDataKeys(async (dataKey) => {
      const wires = keys.map(dataKey);
      const settled = await this.client.getManySettled(wires);
      return wires.map((wire) => settled.get(wire)!);
    }).catch((error: unknown) => this.failed([error], undefined));
    if (outcomes === undefined) return keys.map(() => undefined);
    return this.settle(outcomes, undefined, 'read') as Array<T | undefined>;
  }

  /**
   * Whether `key` holds a value (a `get`: memcached has no "exists" command).
   * @example await adapter.has('a'); // true
   */
  async has(key: string): Promise<boolean> {
    const [value] = await this.getMany([key]);
    return value !== undefined;
  }

  /**
   * Whether each of `keys` holds a value, in order, with one multi-key `get`.
   * @example await adapter.hasMany(['a', 'b']); // [true, false]
   */
  async hasMany(keys: string[]): Promise<boolean[]> {
    const values = await this.getMany(keys);
    return values.map((value) => value !== undefined);
  }

  /**
   * Stores `value` under `key` for `ttl` milliseconds (rounded up to whole seconds; `undefined` or 0 =
   * never expire). Resolves `true` when stored, `false` on a failure.
   * @example await adapter.set('a', '1', 500); // gone within about a second
   */
  async set(key: string, value: Value, ttl?: number): Promise<boolean> {
    try {
      return await this.withDataKeys((dataKey) => this.client.set(dataKey(key), value, toWriteOptions(ttl)));
    } catch (error) {
      return this.failed([error], false);
    }
  }

  /**
   * Stores every entry: one pipelined write per server, all servers in parallel (entries with
   * different TTLs in one call per TTL). Resolves one boolean per entry.
   * @example await adapter.setMany([{ key: 'a', value: '1' }, { key: 'b', value: '2', ttl: 60_000 }]);
   */
  async setMany(entries: KeyvMemwireEntry[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const outcomes = await this.withDataKeys((dataKey) => this.writeMany(entries, dataKey)).catch(
      (error: unknown) => this.failed([error], undefined),
    );
    if (outcomes === undefined) return entries.map(() => false);
    return this.settle(outcomes, false, 'write');
  }

  /**
   * Deletes `key`: `true` if it existed, `false` if not or on a failure.
   * @example await adapter.delete('a'); // true
   */
  async delete(key: string): Promise<boolean> {
    try {
      return await this.withDataKeys((dataKey) => this.client.delete(dataKey(key)));
    } catch (error) {
      return this.failed([error], false);
    }
  }

  /**
   * Deletes every key, all servers in parallel: `true` if every key existed (keyv 5's contract).
   * @example await adapter.deleteMany(['a', 'b']); // false if 'b' did not exist
   */
  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    const outcomes = await this.withDataKeys(async (dataKey) => {
      const wires = keys.map(dataKey);
      const settled = await this.client.deleteMany(wires);
      return wires.map((wire) => settled.get(wire)!);
    }).catch((error: unknown) => this.failed([error], undefined));
    if (outcomes === undefined) return false;
    return this.settle(outcomes, false, 'write').every(Boolean);
  }

  /**
   * Clears this namespace, and only it: one `incr` of its generation number. Keys of the old
   * generation are never read again and memcached reclaims them as memory is needed.
   * @example await adapter.clear();
   */
  async clear(): Promise<void> {
    try {
      await this.generations.bump(namespaceKeys(this.namespace).generation);
    } catch (error) {
      this.failed([error], undefined);
    }
  }

  /**
   * Closes the client if the adapter created it (a client you passed in stays open).
   * @example await keyv.disconnect(); // Keyv calls this
   */
  async disconnect(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /**
   * Runs `op` with the namespace's data keys (the memcached key of each of your keys), checking the
   * generation in the same round trip. If another process moved it (a `clear()`), `op` runs again
   * under the new one, so no read returns a cleared value and no write lands where nobody will read
   * it. For stores built on this one that send commands of their own (cache-manager's `ttl` and
   * lease); `check: false` for a call that sends nothing (one its server refuses unsent), where the
   * counter would be the only command on the wire.
   * @example await keyv.withDataKeys((dataKey) => client.ttl(dataKey('user:1')));
   */
  async withDataKeys<T>(
    op: (dataKey: (key: string) => string) => Promise<T>,
    options: { check?: (dataKey: (key: string) => string) => boolean } = {},
  ): Promise<T> {
    const keys = namespaceKeys(this.namespace);
    const known = this.generations.peek(keys.generation);
    // Nothing known yet: the first read of the counter is itself the check.
    if (known === undefined) {
      const generation = await this.generations.current(keys.generation);
      return op((key) => keys.data(generation, key));
    }
    const knownKey = (key: string) => keys.data(known, key);
    if (options.check?.(knownKey) === false) return op(knownKey);
    const [generation, result] = await Promise.all([
      this.generations.check(keys.generation, known),
      op(knownKey),
    ]);
    return generation === known ? result : op((key) => keys.data(generation, key));
  }

  private async writeMany(
    entries: KeyvMemwireEntry[],
    dataKey: (key: string) => string,
  ): Promise<Outcome<boolean>[]> {
    const byTtl = new Map<number | undefined, number[]>();
    entries.forEach((entry, i) => {
      const group = byTtl.get(entry.ttl);
      if (group === undefined) byTtl.set(entry.ttl, [i]);
      else group.push(i);
    });
    const outcomes = new Array<Outcome<boolean>>(entries.length);
    await Promise.all(
      [...byTtl].map(async ([ttl, indexes]) => {
        const wires = indexes.map((i) => dataKey(entries[i]!.key));
        const settled = await this.client.setMany(
          indexes.map((i, j) => [wires[j]!, entries[i]!.value] as const),
          toWriteOptions(ttl),
        );
        indexes.forEach((i, j) => {
          outcomes[i] = settled.get(wires[j]!)!;
        });
      }),
    );
    return outcomes;
  }

  /**
   * The values of settled outcomes, `fallback` for failures, which are reported; except reads of a
   * server marked down, which the core's `failover: 'miss'` makes plain misses (writes to it fail).
   */
  private settle<T, F>(outcomes: Outcome<T>[], fallback: F, kind: 'read' | 'write'): Array<T | F> {
    const errors: unknown[] = [];
    const values = outcomes.map((outcome) => {
      if (outcome.ok) return outcome.value;
      if (kind === 'write' || !this.isMarkedDown(outcome.error)) errors.push(outcome.error);
      return fallback;
    });
    return errors.length === 0 ? values : this.failed(errors, values);
  }

  /**
   * Reports `errors` as `'error'` events (each error once; only when someone listens, so an unheard
   * failure never throws) and resolves `result`, or rethrows the first with `throwOnErrors`.
   */
  private failed<T>(errors: unknown[], result: T): T {
    const unique = [...new Set(errors)];
    if (this.listenerCount('error') > 0) for (const error of unique) this.emit('error', error);
    if (this.throwOnErrors) throw unique[0];
    return result;
  }

  /**
   * A server marked down reads as a miss without an error under the core's `failover: 'miss'`, as a
   * plain `get` does; `getManySettled` names its error, and this keeps the two alike.
   */
  private isMarkedDown(error: MemwireError): boolean {
    return error.server !== undefined && this.client.downServers.includes(error.server);
  }
}

function isClient(value: unknown): value is MemwireClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MemwireClient).getManySettled === 'function' &&
    typeof (value as MemwireClient).incr === 'function'
  );
}
