import type { IncomingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';
import { cachingView, directiveMap, requestDirectives } from './directives.js';
import { fieldValue } from './headers.js';
import { varyFields } from './vary.js';

/** How a stored response's freshness is judged later: http-cache-semantics' own serialised policy. */
export type PolicyObject = CachePolicy.CachePolicyObject;

export type StoreDecision =
  | {
      storable: true;
      /** The policy hits are judged by (see {@link decideStorage} for what it is built from). */
      policy: PolicyObject;
      /** Seconds memcached keeps the entry: freshness plus the stale-while-revalidate / stale-if-error windows. */
      itemTtl: number;
      /** The response stated its own freshness or `public`: it may be shared with credentialed requests. */
      explicit: boolean;
      /** `must-revalidate` / `proxy-revalidate`: never served stale (RFC 9111 §4.2.4). */
      noStale: boolean;
      /** The request fields the response varies on. */
      vary: string[];
    }
  | { storable: false; reason: string };

export interface DecisionOptions {
  /** Freshness lifetime, in seconds, of a response that states none; 0 = such responses are not stored. */
  defaultTtl: number;
  /**
   * RFC 9213 targeted fields this cache obeys, lower-case, in precedence order: the first present
   * with a valid value replaces Cache-Control (and Expires) for the decision. @default []
   */
  targeted?: readonly string[] | undefined;
}

/**
 * The final statuses the cache understands (RFC 9111 §3: it must not store others): those RFC 9110
 * §15 defines, with 429 (RFC 6585) and 451 (RFC 7725), less 206 and 304, which it does not handle
 * (no ranges; a 304 is an answer to a conditional request, not a representation).
 */
const UNDERSTOOD_STATUSES = new Set([
  200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408,
  409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 429, 451, 500, 501, 502, 503, 504, 505,
]);

/**
 * The statuses http-cache-semantics 4 understands. Any other status of {@link UNDERSTOOD_STATUSES}
 * is judged as a 200 by it, and only with explicit freshness: RFC 9111 §4.2.2 lets a cache apply a
 * heuristic (here the `ttl` option) only to statuses "defined as heuristically cacheable" (RFC 9110
 * §15.1: 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501), which it checks itself.
 */
const LIBRARY_STATUSES = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]);

/** The status a stored policy is judged (and saved) under: its own, or 200 for those the library does not know. */
export function policyStatus(status: number): number {
  return LIBRARY_STATUSES.has(status) ? status : 200;
}

/** RFC 9111 §5.1: Age is a non-negative integer; any other value (a fraction, a list, a sign) is ignored. */
const AGE = /^\d+$/;

/** The cache is shared (RFC 9111 §1: it serves many users), so `private` and `s-maxage` apply. */
const SHARED = { shared: true } as const;

/**
 * Whether a response to a GET may be stored, and the policy it is served by, under RFC 9111's rules
 * for a shared cache as http-cache-semantics implements them (`storable()`: no `no-store` in request
 * or response, no `private`, `Authorization` only with `public`/`s-maxage`/`must-revalidate`, a status
 * the cache understands — so never a 206 or 304 — and some freshness), read from Cache-Control and
 * Pragma normalised (directive names in any case) or from the first RFC 9213 targeted field present,
 * plus rules of our own:
 *
 * - any final status of {@link UNDERSTOOD_STATUSES} with explicit freshness (a `503` with
 *   `max-age=5`), others only when heuristically cacheable; statuses outside it never;
 * - never a response carrying `Set-Cookie` (one user's cookie must never reach another);
 * - never `Vary: *` (it can never be matched) nor a `no-cache` response (each use would need the
 *   origin: for a cache in the same process as the origin, that is no cache);
 * - a response stating no freshness (no `s-maxage`, `max-age` or `Expires`) gets `defaultTtl` instead
 *   of the Last-Modified heuristic, but only when the request carried neither `Cookie` nor
 *   `Authorization`, or the response said `public`: a page built for a logged-in user that says
 *   nothing about caching is not shared.
 */
export function decideStorage(
  request: { url: string; headers: IncomingHttpHeaders },
  status: number,
  headers: Record<string, string>,
  options: DecisionOptions,
): StoreDecision {
  if (!UNDERSTOOD_STATUSES.has(status))
    return { storable: false, reason: `status ${status} is not understood` };
  const view = cachingView(headers, options.targeted ?? []);
  const directives = directiveMap(view['cache-control']);
  const explicitExpiry =
    directives.has('s-maxage') || directives.has('max-age') || view['expires'] !== undefined;
  if (!LIBRARY_STATUSES.has(status) && !explicitExpiry) {
    return { storable: false, reason: `status ${status} without explicit freshness` };
  }
  const judgedStatus = policyStatus(status);
  const requestHeaders = {
    ...request.headers,
    ...requestDirectives(fieldValue(request.headers['cache-control']), fieldValue(request.headers['pragma'])),
  } as CachePolicy.Headers;
  const full = new CachePolicy(
    { method: 'GET', url: request.url, headers: requestHeaders },
    { status: judgedStatus, headers: view },
    SHARED,
  );
  if (!full.storable()) return { storable: false, reason: 'not storable by RFC 9111 (shared cache)' };
  if (headers['set-cookie'] !== undefined) return { storable: false, reason: 'the response sets a cookie' };
  const vary = varyFields(headers['vary']);
  if (vary === '*') return { storable: false, reason: 'Vary: *' };
  // From the library's parse too: it reads `Pragma: no-cache` as no-cache when there is no Cache-Control.
  if (directives.has('no-cache') || full.toObject().rescc['no-cache'] !== undefined) {
    return { storable: false, reason: 'Cache-Control: no-cache' };
  }

  const isPublic = directives.has('public');
  const credentialed =
    request.headers['authorization'] !== undefined || request.headers['cookie'] !== undefined;
  if (!explicitExpiry) {
    if (options.defaultTtl <= 0) return { storable: false, reason: 'no freshness stated and ttl is 0' };
    if (credentialed && !isPublic) {
      return { storable: false, reason: 'no freshness stated for a request with Cookie or Authorization' };
    }
  }
  const noStale = directives.has('must-revalidate') || directives.has('proxy-revalidate');
  const policy = new CachePolicy(
    { method: 'GET', headers: {} },
    { status: judgedStatus, headers: policyView(view, explicitExpiry ? undefined : options.defaultTtl) },
    SHARED,
  );
  const ttlMs = policy.timeToLive();
  if (ttlMs <= 0) return { storable: false, reason: 'already stale' };
  return {
    storable: true,
    policy: policy.toObject(),
    itemTtl: Math.ceil(ttlMs / 1000),
    explicit: explicitExpiry || isPublic,
    noStale,
    vary,
  };
}

/**
 * The response fields the stored policy is built from: only those that bear on freshness, so the
 * policy holds no request header (http-cache-semantics would otherwise keep them all, credentials
 * included, for Vary matching: the key does that job here, with digests). `must-revalidate` and
 * `proxy-revalidate` are left out because http-cache-semantics 4 treats them as "always revalidate"
 * (and `proxy-revalidate` as "already stale") while RFC 9111 §5.2.2.2 forbids only serving them
 * *stale*; {@link StoreDecision.noStale} carries that instead. A default TTL becomes `s-maxage`.
 */
function policyView(headers: Record<string, string>, defaultTtl: number | undefined): Record<string, string> {
  const view: Record<string, string> = {};
  for (const name of ['date', 'expires', 'last-modified', 'pragma']) {
    const value = headers[name];
    if (value !== undefined) view[name] = value;
  }
  const age = headers['age']?.trim();
  if (age !== undefined && AGE.test(age)) view['age'] = age;
  const cacheControl = (headers['cache-control'] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/^(must|proxy)-revalidate$/.test(part));
  if (defaultTtl !== undefined) cacheControl.push(`s-maxage=${defaultTtl}`);
  if (cacheControl.length > 0) view['cache-control'] = cacheControl.join(', ');
  return view;
}

export type Verdict =
  /** Fresh enough for this request: serve it. */
  | { kind: 'fresh'; age: number }
  /** Stale, but the request accepts it (`max-stale`): serve it as stale. */
  | { kind: 'stale-acceptable'; age: number }
  /** Stale within `stale-while-revalidate`: serve it while one request refreshes it. */
  | { kind: 'stale-while-revalidate'; age: number }
  /** Not usable without the origin; `ifError` when `stale-if-error` still allows it should the origin fail. */
  | { kind: 'revalidate'; age: number; ifError: boolean };

/**
 * How a stored response may answer a request, by http-cache-semantics' `evaluateRequest` (the
 * request's `no-cache`, `Pragma: no-cache`, `max-age`, `min-fresh` and `max-stale`, and the response's
 * `stale-while-revalidate`). `requestHeaders` undefined ignores the request's directives.
 */
export function judge(
  policyObject: PolicyObject,
  noStale: boolean,
  requestHeaders: IncomingHttpHeaders | undefined,
): Verdict {
  const policy = policyFor(policyObject);
  const cacheControl = requestHeaders === undefined ? undefined : fieldValue(requestHeaders['cache-control']);
  const pragma = requestHeaders === undefined ? undefined : fieldValue(requestHeaders['pragma']);
  const age = policy.age();
  const stale = policy.stale();
  // Without request directives, evaluateRequest comes down to stale(): skip the response headers it builds.
  if (!stale && cacheControl === undefined && pragma === undefined) return { kind: 'fresh', age };
  const directives: CachePolicy.Headers = requestDirectives(cacheControl, pragma);
  const result = policy.evaluateRequest({ method: 'GET', headers: directives });
  if (result.revalidation === undefined) {
    if (!stale) return { kind: 'fresh', age };
    if (!noStale) return { kind: 'stale-acceptable', age };
  } else if (!result.revalidation.synchronous && !noStale) {
    return { kind: 'stale-while-revalidate', age };
  }
  // Stored policies hold normalised directives (decideStorage builds them from cachingView).
  const staleIfError = Number.parseInt(policyObject.rescc['stale-if-error'] ?? '', 10);
  const ifError = !noStale && staleIfError > 0 && policy.maxAge() + staleIfError > age;
  return { kind: 'revalidate', age, ifError };
}

/** Policies are immutable once stored: one instance per stored policy object serves every hit on it. */
const policies = new WeakMap<PolicyObject, CachePolicy>();

function policyFor(policyObject: PolicyObject): CachePolicy {
  let policy = policies.get(policyObject);
  if (policy === undefined) {
    policy = CachePolicy.fromObject(policyObject);
    policies.set(policyObject, policy);
  }
  return policy;
}

/** Whether the request forbids storing anything (`Cache-Control: no-store`), read by http-cache-semantics. */
export function requestForbidsStorage(headers: IncomingHttpHeaders): boolean {
  const cacheControl = fieldValue(headers['cache-control']);
  if (cacheControl === undefined) return false;
  // A private-cache policy for an always-storable response is storable unless the request says no-store.
  const probe = new CachePolicy(
    { method: 'GET', headers: requestDirectives(cacheControl, undefined) },
    { status: 200, headers: { 'cache-control': 'max-age=1' } },
    { shared: false },
  );
  return !probe.storable();
}
