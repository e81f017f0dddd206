import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddLock, type CallOptions, ErrorCodes, Lru, SingleFlight } from '@memwire/core';
import { Budget, type CacheClient } from '../client.js';
import {
  type HttpCacheConfig,
  type HttpCacheOptions,
  resolveHttpCacheConfig,
  targetedFields,
} from '../config.js';
import { directiveMap } from '../rules/directives.js';
import { judge, requestForbidsStorage, type Verdict } from '../rules/freshness.js';
import { fieldValue, headersToStore } from '../rules/headers.js';
import { nameOf, originOf, resourceOf } from '../rules/origin.js';
import { normalizeResource, sameOriginTarget } from '../rules/url.js';
import { varyDigest } from '../rules/vary.js';
import { EntryStore, type Lookup, type StoredEntry } from '../store/entry-store.js';
import { bumpGeneration, generationOf } from '../store/generations.js';
import { createKeySpace, type KeySpace } from '../store/keys.js';
import { acquireLock, type HeldLock, releaseLock } from '../store/lock.js';
import { type Prepared, prepareEntry } from '../store/prepare-entry.js';
import type {
  CacheRequest,
  CacheStatus,
  HeaderList,
  OriginHead,
  OriginResponse,
  ServedResponse,
} from '../types.js';
import type { Exchange } from './exchange.js';
import { REFRESH_HEADER, RefreshTokens, refreshRequestFor } from './refresh.js';
import { isShareable, serveEntry } from './respond.js';
import { planRevalidation, type Revalidation, refreshed } from './revalidation.js';

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
  /** The stale entry the origin is asked about conditionally, when it has a validator. */
  revalidation?: Revalidation | undefined;
}

/** A background refresh, from its start until its injected request reaches the cache. */
type RefreshContext = Omit<FetchContext, 'request' | 'revalidation'> & { entry: StoredEntry };

/** The Set-Cookie values of an origin's head, in order. */
function setCookiesOf(head: OriginHead): string[] {
  const value = head.headers['set-cookie'];
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
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
  /** Per-process single flight: while one request for a key is at the origin, the others wait for its outcome. */
  private readonly flights = new SingleFlight<Flight>();
  /**
   * Keys whose last response could not be stored (private, a cookie, no-store…), remembered for a
   * short while so their requests stop waiting behind one another: a response that cannot be shared
   * is no use to a waiter (Varnish calls this hit-for-pass).
   */
  private readonly passMemo = new Lru<string, true>({ max: PASS_MEMO_KEYS, ttl: PASS_MEMO_MS });
  private readonly statusHeaderName: string | undefined;
  private readonly tagHeaderName: string;
  /** RFC 9213 targeted fields obeyed, lower-case, in precedence order; the first is never stored when ours. */
  private readonly targeted: readonly string[];
  private readonly ownTargeted: string | undefined;
  private warnedAboutKeys = false;
  /** Stores still being written and background refreshes running, so {@link HttpCache.settled} can wait for them. */
  private readonly writing = new Set<Promise<void>>();
  private readonly refreshes = new RefreshTokens<RefreshContext>();

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
   * Resolves once every response handed to the cache so far has been stored (or given up on), and
   * every background refresh has ended: for a graceful shutdown before closing the client, and for
   * tests.
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

  /**
   * Whether the injected refresh `request` names the key of the stale entry it refreshes: the same
   * resource (origin, path or custom key, as the application computed them for it) and, for a
   * varying entry, the same variant.
   */
  private sameKey(resource: string, request: CacheRequest, context: Omit<RefreshContext, 'entry'>): boolean {
    if (resource !== context.resource) return false;
    const { pointer, key } = context.lookup;
    if (pointer === undefined) return true;
    return this.keys.variant(resource, pointer.nonce, varyDigest(pointer.vary, request.headers)) === key;
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
    if (request.headers[REFRESH_HEADER] !== undefined) {
      // Our own background refresh, by its one-time token: it goes to the origin. A forged or used
      // token is just an unknown header.
      const refresh = this.refreshes.redeem(request.headers);
      if (refresh !== undefined) {
        const { entry, ...context } = refresh;
        if (this.sameKey(resource, request, context)) {
          return this.fetch({ ...context, request, revalidation: planRevalidation(entry, request) });
        }
        // The application saw its own refresh as another resource or variant (a custom key reading a
        // field the refresh does not carry, a proxy trusted for the refresh but not for the client):
        // what it answers belongs to another key, so nothing is stored, and the entry stays stale.
        context.land?.(undefined);
        if (context.lockHeld) {
          void releaseLock(this.client, this.keys.lock(context.resource), context.lockHeld).catch(() => {});
        }
        return this.pass('BYPASS');
      }
    }
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
    // A stale entry with a validator is not thrown away: the origin is asked whether it still holds.
    const revalidation =
      entry !== undefined && isShareable(entry, request) ? planRevalidation(entry, request) : undefined;
    return this.miss(resource, request, lookup, fallback, budget, revalidation);
  }

  /**
   * RFC 5861 stale-while-revalidate: every request in the window gets the stale entry at once, and
   * one refresh (per process by the flight, across processes by the lock) runs in the background: a
   * request the adapter sends through the application's own stack ({@link CacheRequest.refresh}),
   * conditional when the entry has a validator. Without an adapter hook, the request that leads the
   * refresh waits for the origin itself, as before.
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
      const context = { resource, lookup, generation, fallback: entry, land, lockHeld };
      if (request.refresh !== undefined) {
        this.refreshInBackground(request, request.refresh, { ...context, entry });
        return stale();
      }
      return this.fetch({ ...context, request, revalidation: planRevalidation(entry, request) });
    } catch {
      land(undefined);
      return stale();
    }
  }

  /**
   * Sends the refresh request through the application. Its token lets the cache know it when it
   * arrives (see {@link HttpCache.get}); should it never arrive (the route is not cached, the
   * application failed before the cache) or never end, the flight lands empty and the lock is freed
   * after at most `lockTtl` seconds, when the lock would have expired anyway. Never rejects.
   */
  private refreshInBackground(
    request: CacheRequest,
    send: NonNullable<CacheRequest['refresh']>,
    context: RefreshContext,
  ): void {
    const token = this.refreshes.issue(context);
    const timeout = new AbortController();
    const running = (async () => {
      try {
        await Promise.race([
          Promise.resolve()
            .then(() => send(refreshRequestFor(context.entry, request, token)))
            .catch(() => {}),
          sleep(this.config.lockTtl * 1000, undefined, { signal: timeout.signal }).catch(() => {}),
        ]);
      } finally {
        timeout.abort();
        if (this.refreshes.withdraw(token)) {
          context.land?.(undefined);
          if (context.lockHeld) {
            await releaseLock(this.client, this.keys.lock(context.resource), context.lockHeld);
          }
        }
      }
    })();
    this.track(running.catch(() => {}));
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
    revalidation?: Revalidation,
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
          revalidation,
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
          const { value: found } = await new AddLock(this.client).awaitRelease(
            lockKey,
            () => this.lookAgain(resource, request),
            { wait: this.config.lockWait, interval: this.config.lockPollInterval },
          );
          const answer = found === undefined ? undefined : this.answerFrom(found, request, 'HIT');
          if (answer !== undefined) {
            land(found);
            return answer;
          }
        }
        lockHeld = typeof lock === 'object' ? lock : undefined;
      }
      return this.fetch({ resource, request, lookup, generation, fallback, land, lockHeld, revalidation });
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

  /**
   * The entry another process stored meanwhile, if any; rejects when memcached cannot be asked (a
   * waiter then stops waiting: see `AddLock.awaitRelease`).
   */
  private async lookAgain(resource: string, request: CacheRequest): Promise<StoredEntry | undefined> {
    const lookup = await this.store.lookup(resource, request, this.budget());
    if (lookup.failed) throw lookup.error;
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
    /** Set when the origin's 304 refreshed the stored response: what to store instead of its empty body. */
    let revalidated: { prepared: Prepared | undefined } | undefined;
    return {
      kind: 'fetch',
      cacheStatus: 'MISS',
      headers: this.statusHeader('MISS'),
      maxBodySize: this.config.maxBodySize,
      maxCaptureBytes: this.config.maxCaptureBytes,
      requestHeaders: context.revalidation?.requestHeaders,
      onHead: (head) => {
        const { fallback, request, revalidation } = context;
        const merged = revalidation === undefined ? undefined : refreshed(revalidation, head);
        if (merged !== undefined) {
          const outcome = this.revalidate(context, revalidation!.entry, merged, head);
          revalidated = { prepared: outcome.prepared };
          return outcome.served;
        }
        if (fallback === undefined || !ERROR_STATUSES.has(head.status)) return undefined;
        const verdict = judge(fallback.meta.policy, fallback.meta.noStale, undefined);
        if (verdict.kind === 'revalidate' && !verdict.ifError) return undefined;
        replaced = true;
        return serveEntry(fallback, request, verdict.age, 'STALE', this.statusHeader('STALE'));
      },
      finish: (response) => {
        const writing =
          revalidated === undefined
            ? this.complete(context, replaced ? undefined : response)
            : this.settle(context, undefined, revalidated.prepared);
        this.track(writing);
      },
    };
  }

  /**
   * RFC 9111 §4.3.4: the origin's 304 says the stored response still holds. The client gets the
   * stored body under the merged fields (a 304 when its own conditional matches them, by
   * serveEntry), and that response is stored again as fresh from now.
   */
  private revalidate(
    context: FetchContext,
    entry: StoredEntry,
    merged: Record<string, string>,
    head: OriginHead,
  ): { served: ServedResponse; prepared: Prepared | undefined } {
    const response: OriginResponse = {
      status: entry.meta.status,
      headers: merged,
      body: entry.body,
      inherited: head.inherited,
      // A 304's tag header and locals are lost with its discarded end: the entry keeps its own tags.
      tags: Object.keys(entry.meta.tags ?? {}),
    };
    let prepared: Prepared | undefined;
    try {
      prepared = this.prepare(context.request, response);
    } catch {
      prepared = undefined;
    }
    // Not storable any more (the 304 said private or no-store): this client still gets the body.
    const served = prepared?.entry ?? {
      meta: { ...entry.meta, headers: headersToStore(merged, (name) => this.notStored(name)) },
      body: entry.body,
    };
    const status: CacheStatus = 'REVALIDATED';
    const reply = serveEntry(served, context.request, 0, status, this.statusHeader(status));
    // The 304's Set-Cookie (a session started, a cookie rotated) is this client's alone: it goes in
    // its reply and never into the entry (a response setting a cookie is not stored at all).
    reply.headers.push(...setCookiesOf(head).map((value): [string, string] => ['set-cookie', value]));
    return { served: reply, prepared };
  }

  /** Keeps `promise` for {@link HttpCache.settled} until it ends. */
  private track(promise: Promise<void>): void {
    this.writing.add(promise);
    void promise.finally(() => this.writing.delete(promise));
  }

  private notStored(name: string): boolean {
    return name === this.statusHeaderName || name === this.tagHeaderName || name === this.ownTargeted;
  }

  /**
   * The entry to store for `response`; one with a validator is kept `keep` seconds longer, stale, to
   * be revalidated (see {@link planRevalidation}).
   */
  private prepare(request: CacheRequest, response: OriginResponse): Prepared | undefined {
    const prepared = prepareEntry(request, response, {
      defaultTtl: this.config.ttl,
      notStored: (name) => this.notStored(name),
      targeted: this.targeted,
    });
    if (prepared === undefined || this.config.keep === 0) return prepared;
    const { meta } = prepared.entry;
    const validated = meta.headers.some(([name]) => name === 'etag' || name === 'last-modified');
    return meta.status === 200 && validated
      ? { ...prepared, itemTtl: prepared.itemTtl + this.config.keep }
      : prepared;
  }

  /**
   * After the origin answered: hand the response to this process's waiters at once, then store it
   * (never throws), then release the lock.
   */
  private async complete(context: FetchContext, response: OriginResponse | undefined): Promise<void> {
    let prepared: Prepared | undefined;
    try {
      prepared = response === undefined ? undefined : this.prepare(context.request, response);
    } catch {
      prepared = undefined;
    }
    await this.settle(context, response, prepared);
  }

  /** Lands the flight, stores what was prepared, releases the lock. Never rejects. */
  private async settle(
    context: FetchContext,
    response: OriginResponse | undefined,
    prepared: Prepared | undefined,
  ): Promise<void> {
    const { lookup, land, lockHeld, resource } = context;
    land?.(prepared?.entry);
    if (prepared !== undefined) this.passMemo.delete(lookup.key);
    // A 304 answers one client's own conditional: it says nothing about whether the resource can be shared.
    else if (response !== undefined && response.status !== 304 && land !== undefined)
      this.passMemo.set(lookup.key, true);
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
