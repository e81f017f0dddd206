import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CallOptions, ErrorCodes } from '@memwire/core';
import { Budget, type CacheClient } from './client.js';
import { Coalescer, PassMemo } from './coalescer.js';
import {
  type HttpCacheConfig,
  type HttpCacheOptions,
  resolveHttpCacheConfig,
  targetedFields,
} from './config.js';
import { directiveMap } from './directives.js';
import { EntryStore, type Lookup, type StoredEntry } from './entry-store.js';
import type { Exchange } from './exchange.js';
import { judge, requestForbidsStorage, type Verdict } from './freshness.js';
import { bumpGeneration, generationOf } from './generations.js';
import { fieldValue } from './headers.js';
import { createKeySpace, type KeySpace } from './keys.js';
import { acquireLock, awaitHolder, type HeldLock, releaseLock } from './lock.js';
import { nameOf, originOf, resourceOf } from './origin.js';
import { type Prepared, prepareEntry } from './prepare-entry.js';
import { isShareable, serveEntry } from './respond.js';
import type { CacheRequest, CacheStatus, HeaderList, OriginResponse, ServedResponse } from './types.js';
import { normalizeResource, sameOriginTarget } from './url.js';

/** What a request learns from the flight it joined: the response produced, if it could be stored. */
type Flight = StoredEntry | undefined;

/**
 * The resource's generation, read before the origin runs: a string, undefined when it has none yet,
 * or 'failed' when memcached could not say (then nothing is stored).
 */
type Generation = string | undefined | 'failed';

/** Everything a fetch needs to complete its request's story. */
interface FetchContext {
  resource: string;
  request: CacheRequest;
  lookup: Lookup;
  generation: Promise<Generation>;
  /** A stale entry stale-if-error allows to send if the origin fails. */
  fallback: StoredEntry | undefined;
  /** Lands this process's flight for the key, when this request leads it. */
  land: ((outcome: Flight) => void) | undefined;
  /** The cross-process lock, when this request holds it. */
  lockHeld: HeldLock | undefined;
}

/** RFC 9110 §9.2.1: any other method, unknown ones included, is unsafe and may change the resource. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** RFC 5861 §4: the errors stale-if-error covers. */
const ERROR_STATUSES = new Set([500, 502, 503, 504]);
/** How long a key whose response could not be stored stops requests from waiting on each other. */
const PASS_MEMO_MS = 10_000;
const PASS_MEMO_KEYS = 10_000;

/**
 * A shared HTTP response cache on memcached, by RFC 9111 (with RFC 5861's stale directives), that
 * knows nothing of any web framework: an adapter turns its requests into {@link CacheRequest}s,
 * asks {@link HttpCache.begin} what to do, and captures the origin's response when told to.
 * `@memwire/express` is one adapter; others reuse this one implementation.
 */
export class HttpCache {
  readonly config: HttpCacheConfig;
  private readonly client: CacheClient;
  private readonly keys: KeySpace;
  private readonly store: EntryStore;
  private readonly flights = new Coalescer<Flight>();
  private readonly passMemo = new PassMemo(PASS_MEMO_MS, PASS_MEMO_KEYS);
  private readonly statusHeaderName: string | undefined;
  private readonly tagHeaderName: string;
  /** RFC 9213 targeted fields obeyed, lower-case, in precedence order; the first is never stored when ours. */
  private readonly targeted: readonly string[];
  private readonly ownTargeted: string | undefined;
  private warnedAboutKeys = false;
  /** Stores still being written, so {@link HttpCache.settled} can wait for them. */
  private readonly writing = new Set<Promise<void>>();

  constructor(client: CacheClient, options?: HttpCacheOptions) {
    this.config = resolveHttpCacheConfig(client, options);
    this.client = client;
    this.keys = createKeySpace(this.config.keyPrefix);
    this.store = new EntryStore(client, this.keys, this.config);
    const { cacheStatusHeader, tagHeader } = this.config;
    this.statusHeaderName = cacheStatusHeader === false ? undefined : cacheStatusHeader.toLowerCase();
    this.tagHeaderName = tagHeader.toLowerCase();
    this.targeted = targetedFields(this.config);
    const own = this.config.targetedCacheControl;
    this.ownTargeted = own === false ? undefined : own.toLowerCase();
  }

  /** Decides how to answer `request`. Never rejects: when anything fails, the answer is the origin. */
  async begin(request: CacheRequest): Promise<Exchange> {
    try {
      const origin = originOf(request);
      if (origin === undefined) return this.pass('BYPASS');
      const { method } = request;
      if (method === 'GET' || method === 'HEAD') {
        const honoured = !this.config.ignoreRequestDirectives;
        // Ignored directives leave the request altogether, so no rule below sees them (storing included).
        const asked = honoured ? request : withoutDirectives(request);
        const directives = honoured ? request.headers : undefined;
        if (directives !== undefined && requestForbidsStorage(directives)) return this.pass('BYPASS');
        const resource = resourceOf(origin, request.resource ?? request.url);
        if (directives !== undefined && onlyIfCached(directives)) {
          return await this.storedOnly(resource, asked, directives);
        }
        return method === 'GET'
          ? await this.get(resource, asked, directives)
          : await this.head(resource, asked, directives);
      }
      if (SAFE_METHODS.has(method) || !this.config.invalidateOnUnsafe) return this.pass('BYPASS');
      return this.invalidating(request, origin);
    } catch {
      return this.pass('BYPASS');
    }
  }

  /**
   * Invalidates every stored response of a URL (all its variants, and HEAD) on every host, in every
   * process. A path or absolute URL is normalised as a request target (an absolute URL's host is not
   * looked at: the path is dropped on every host); any other string is taken as a custom key, as the
   * `key` option returns it. Rejects when memcached cannot be reached.
   */
  async invalidate(url: string): Promise<void> {
    await this.invalidateName(normalizeResource(url));
  }

  /**
   * memcached cannot list keys, nor the hosts a path was stored for, so invalidation moves the
   * name's generation on: every entry and Vary pointer records the generation it was stored under,
   * and a lookup reads the current one in the same batch as the entry, so an older one is a miss on
   * every host. A response being stored meanwhile, made before this invalidation, sees the change
   * after its write and deletes it. `entry`, when given, is deleted too, freeing its memory at once.
   */
  private async invalidateName(name: string, entry?: string, options?: CallOptions): Promise<void> {
    await bumpGeneration(this.client, this.keys.nameGeneration(name), options);
    if (entry !== undefined) await this.client.delete(this.keys.entry(entry), options);
  }

  /** Invalidates every stored response tagged with any of `tags`. Rejects when memcached cannot be reached. */
  async invalidateTags(tags: string | Iterable<string>): Promise<void> {
    const list = typeof tags === 'string' ? [tags] : [...tags];
    await Promise.all(list.map((tag) => bumpGeneration(this.client, this.keys.tag(tag))));
  }

  /**
   * Resolves once every response handed to the cache so far has been stored (or given up on): for
   * a graceful shutdown before closing the client, and for tests.
   */
  async settled(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
  }

  /** The cache status header to send, as a header list (empty when turned off). */
  statusHeader(status: CacheStatus): HeaderList {
    return this.statusHeaderName === undefined ? [] : [[this.statusHeaderName, status]];
  }

  // ---- GET and HEAD ------------------------------------------------------------------------------

  /**
   * RFC 9111 §5.2.1.7 `only-if-cached`: a stored response the request accepts, or a 504, and never
   * the origin.
   */
  private async storedOnly(
    resource: string,
    request: CacheRequest,
    directives: IncomingHttpHeaders,
  ): Promise<Exchange> {
    const lookup = await this.store.lookup(resource, request, this.budget(), request.method === 'GET');
    const entry = lookup.entry;
    if (entry !== undefined && isShareable(entry, request)) {
      const verdict = judge(entry.meta.policy, entry.meta.noStale, directives);
      if (verdict.kind === 'fresh') return this.serve(entry, request, verdict.age, 'HIT');
      if (verdict.kind === 'stale-acceptable') return this.serve(entry, request, verdict.age, 'STALE');
    }
    const response: ServedResponse = {
      status: 504,
      headers: [['content-length', '0'], ...this.statusHeader('MISS')],
      body: request.method === 'HEAD' ? undefined : Buffer.alloc(0),
      cacheStatus: 'MISS',
    };
    return { kind: 'serve', cacheStatus: 'MISS', headers: [], response };
  }

  /** HEAD is answered from the GET entry; a miss goes to the origin and nothing is stored (no body). */
  private async head(
    resource: string,
    request: CacheRequest,
    directives: IncomingHttpHeaders | undefined,
  ): Promise<Exchange> {
    const lookup = await this.store.lookup(resource, request, this.budget(), false);
    const entry = lookup.entry;
    if (entry !== undefined && isShareable(entry, request)) {
      const verdict = judge(entry.meta.policy, entry.meta.noStale, directives);
      if (verdict.kind === 'fresh') return this.serve(entry, request, verdict.age, 'HIT');
      if (verdict.kind !== 'revalidate') return this.serve(entry, request, verdict.age, 'STALE');
    }
    return this.pass('MISS');
  }

  private async get(
    resource: string,
    request: CacheRequest,
    directives: IncomingHttpHeaders | undefined,
  ): Promise<Exchange> {
    const budget = this.budget();
    const lookup = await this.store.lookup(resource, request, budget);
    if (lookup.failed) this.warnAboutKeys(lookup.error);
    const entry = lookup.entry;
    let fallback: StoredEntry | undefined;
    if (entry !== undefined && isShareable(entry, request)) {
      const verdict = judge(entry.meta.policy, entry.meta.noStale, directives);
      switch (verdict.kind) {
        case 'fresh':
          return this.serve(entry, request, verdict.age, 'HIT');
        case 'stale-acceptable':
          return this.serve(entry, request, verdict.age, 'STALE');
        case 'stale-while-revalidate':
          return this.refreshOrServeStale(resource, request, lookup, entry, verdict, budget);
        case 'revalidate':
          if (verdict.ifError) fallback = entry;
      }
    }
    return this.miss(resource, request, lookup, fallback, budget);
  }

  /**
   * RFC 5861 stale-while-revalidate: one request (per process by the flight, across processes by the
   * lock) goes to the origin and refreshes the entry; every other one meanwhile gets the stale entry
   * at once. The refreshing request itself waits for the origin: the cache runs no request of its own
   * (one would have to be forged, outside the application's middleware and with no one to answer).
   */
  private async refreshOrServeStale(
    resource: string,
    request: CacheRequest,
    lookup: Lookup,
    entry: StoredEntry,
    verdict: Verdict,
    budget: Budget,
  ): Promise<Exchange> {
    const stale = () => this.serve(entry, request, verdict.age, 'STALE');
    if (this.flights.busy(lookup.key)) return stale();
    const land = this.flights.lead(lookup.key);
    try {
      const generation = this.readGeneration(resource, budget);
      const lock = this.config.lock
        ? await acquireLock(this.client, this.keys.lock(resource), this.config.lockTtl, budget)
        : 'unavailable';
      if (lock === 'held') {
        land(undefined);
        return stale();
      }
      // Should the origin fail, the entry is still within its stale window: send it rather than the error.
      const lockHeld = typeof lock === 'object' ? lock : undefined;
      return this.fetch({ resource, request, lookup, generation, fallback: entry, land, lockHeld });
    } catch {
      land(undefined);
      return stale();
    }
  }

  /**
   * A miss: join this process's flight for the key if there is one; else lead it, and, across
   * processes, take the lock or wait for the process holding it.
   */
  private async miss(
    resource: string,
    request: CacheRequest,
    lookup: Lookup,
    fallback: StoredEntry | undefined,
    budget: Budget,
  ): Promise<Exchange> {
    const flightKey = lookup.key;
    const passing = this.passMemo.has(flightKey);
    if (!passing) {
      const flight = this.flights.join(flightKey);
      if (flight !== undefined) {
        const shared = await this.waitAtMost(flight);
        const answer = shared === undefined ? undefined : this.answerFrom(shared, request, 'HIT');
        if (answer !== undefined) return answer;
        const generation = this.readGeneration(resource, this.budget(), lookup);
        return this.fetch({
          resource,
          request,
          lookup,
          generation,
          fallback,
          land: undefined,
          lockHeld: undefined,
        });
      }
    }
    const land = this.flights.lead(flightKey);
    try {
      // Read before the origin runs, alongside the lock.
      const generation = this.readGeneration(resource, budget, lookup);
      let lockHeld: HeldLock | undefined;
      if (this.config.lock && !lookup.failed && !passing) {
        const lockKey = this.keys.lock(resource);
        const lock = await acquireLock(this.client, lockKey, this.config.lockTtl, budget);
        if (lock === 'held') {
          const found = await awaitHolder(
            this.client,
            lockKey,
            { wait: this.config.lockWait, interval: this.config.lockPollInterval },
            () => this.lookAgain(resource, request),
          );
          const answer = found === undefined ? undefined : this.answerFrom(found, request, 'HIT');
          if (answer !== undefined) {
            land(found);
            return answer;
          }
        }
        lockHeld = typeof lock === 'object' ? lock : undefined;
      }
      return this.fetch({ resource, request, lookup, generation, fallback, land, lockHeld });
    } catch {
      land(undefined);
      return this.pass('MISS');
    }
  }

  /** The resource's generation (see {@link Generation}); never rejects. */
  private async readGeneration(resource: string, budget: Budget, lookup?: Lookup): Promise<Generation> {
    if (lookup?.failed) return 'failed';
    const options = budget.options();
    if (options === undefined) return 'failed';
    try {
      return generationOf(await this.client.get(this.keys.generation(resource), options));
    } catch {
      return 'failed';
    }
  }

  /** A fresh, shareable entry stored by another process, or 'failed' when memcached cannot be asked. */
  private async lookAgain(
    resource: string,
    request: CacheRequest,
  ): Promise<StoredEntry | undefined | 'failed'> {
    const lookup = await this.store.lookup(resource, request, this.budget());
    if (lookup.failed) return 'failed';
    return lookup.entry;
  }

  /** Serves `entry` to `request` if it may, fresh; else undefined. */
  private answerFrom(entry: StoredEntry, request: CacheRequest, status: CacheStatus): Exchange | undefined {
    if (!isShareable(entry, request)) return undefined;
    const directives = this.config.ignoreRequestDirectives ? undefined : request.headers;
    const verdict = judge(entry.meta.policy, entry.meta.noStale, directives);
    return verdict.kind === 'fresh' ? this.serve(entry, request, verdict.age, status) : undefined;
  }

  /** A follower waits for its leader at most `lockWait` ms: a leader whose response never ends must not hold it. */
  private async waitAtMost(flight: Promise<Flight>): Promise<Flight> {
    const timeout = new AbortController();
    try {
      return await Promise.race([
        flight,
        sleep(this.config.lockWait, undefined, { signal: timeout.signal }).then(() => undefined),
      ]);
    } finally {
      timeout.abort();
    }
  }

  // ---- the origin's response ---------------------------------------------------------------------

  private fetch(context: FetchContext): Exchange {
    let replaced = false;
    return {
      kind: 'fetch',
      cacheStatus: 'MISS',
      headers: this.statusHeader('MISS'),
      maxBodySize: this.config.maxBodySize,
      maxCaptureBytes: this.config.maxCaptureBytes,
      onHead: (head) => {
        const { fallback, request } = context;
        if (fallback === undefined || !ERROR_STATUSES.has(head.status)) return undefined;
        const verdict = judge(fallback.meta.policy, fallback.meta.noStale, undefined);
        if (verdict.kind === 'revalidate' && !verdict.ifError) return undefined;
        replaced = true;
        return serveEntry(fallback, request, verdict.age, 'STALE', this.statusHeader('STALE'));
      },
      finish: (response) => {
        const writing = this.complete(context, replaced ? undefined : response);
        this.writing.add(writing);
        void writing.finally(() => this.writing.delete(writing));
      },
    };
  }

  /**
   * After the origin answered: hand the response to this process's waiters at once, then store it
   * (never throws), then release the lock.
   */
  private async complete(context: FetchContext, response: OriginResponse | undefined): Promise<void> {
    const { request, lookup, land, lockHeld, resource } = context;
    let prepared: Prepared | undefined;
    try {
      prepared =
        response === undefined
          ? undefined
          : prepareEntry(request, response, {
              defaultTtl: this.config.ttl,
              notStored: (name) =>
                name === this.statusHeaderName || name === this.tagHeaderName || name === this.ownTargeted,
              targeted: this.targeted,
            });
    } catch {
      prepared = undefined;
    }
    land?.(prepared?.entry);
    if (prepared !== undefined) this.passMemo.delete(lookup.key);
    else if (response !== undefined && land !== undefined) this.passMemo.add(lookup.key);
    try {
      const generation = await context.generation;
      if (prepared !== undefined && !lookup.failed && generation !== 'failed') {
        await this.store.persist(resource, generation, prepared);
      }
    } catch {
      // Not stored: the next request goes to the origin again. Nothing else to do.
    } finally {
      if (lockHeld) await releaseLock(this.client, this.keys.lock(resource), lockHeld);
    }
  }

  // ---- unsafe methods ----------------------------------------------------------------------------

  /**
   * RFC 9111 §4.4: a non-error response to an unsafe method invalidates its target URI, and the URIs
   * of its `Location` and `Content-Location` when they are of the same origin as the target, as the
   * application sees it (scheme, host and port): another origin's URL is never touched. The path is
   * then invalidated on every host (see {@link invalidateName}), which can only cost misses.
   */
  private invalidating(request: CacheRequest, origin: string): Exchange {
    return {
      kind: 'invalidate',
      cacheStatus: 'BYPASS',
      headers: this.statusHeader('BYPASS'),
      finish: async (head) => {
        if (head.status < 200 || head.status >= 400) return;
        const own = resourceOf(origin, request.resource ?? request.url);
        const targets = new Map([[nameOf(own), own]]);
        for (const name of ['location', 'content-location']) {
          const value = fieldValue(head.headers[name]);
          const target = value === undefined ? undefined : sameOriginTarget(value, request.url, origin);
          if (target === undefined) continue;
          const resource = resourceOf(origin, target);
          targets.set(nameOf(resource), resource);
        }
        const options = this.budget().options();
        await Promise.all(
          [...targets].map(([name, resource]) =>
            this.invalidateName(name, resource, options).catch(() => {}),
          ),
        );
      },
    };
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private serve(entry: StoredEntry, request: CacheRequest, age: number, status: CacheStatus): Exchange {
    const response = serveEntry(entry, request, age, status, this.statusHeader(status));
    return { kind: 'serve', cacheStatus: status, headers: [], response };
  }

  private pass(status: 'MISS' | 'BYPASS'): Exchange {
    return { kind: 'pass', cacheStatus: status, headers: this.statusHeader(status) };
  }

  /**
   * A key memcached cannot take is a configuration mistake (a client without `hashLongKeys`), not an
   * outage: the core's events do not report it, so a process warning does, once.
   */
  private warnAboutKeys(error: unknown): void {
    if (this.warnedAboutKeys || (error as { code?: unknown } | undefined)?.code !== ErrorCodes.INVALID_KEY)
      return;
    this.warnedAboutKeys = true;
    process.emitWarning(
      'memwire HTTP cache: a cache key was refused, so those requests are not cached; create the client with hashLongKeys: true',
      { code: 'MEMWIRE_HTTP_CACHE_KEY' },
    );
  }

  private budget(): Budget {
    return new Budget(this.config.commandTimeout);
  }
}

/** The request without its Cache-Control and Pragma: what the cache sees when it ignores them. */
function withoutDirectives(request: CacheRequest): CacheRequest {
  const { headers } = request;
  if (headers['cache-control'] === undefined && headers['pragma'] === undefined) return request;
  const { 'cache-control': _cacheControl, pragma: _pragma, ...rest } = headers;
  return { ...request, headers: rest };
}

function onlyIfCached(headers: IncomingHttpHeaders): boolean {
  return directiveMap(fieldValue(headers['cache-control'])).has('only-if-cached');
}
