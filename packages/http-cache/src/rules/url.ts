const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * The cache key form of a request target (RFC 9111 §4.1 keys a response by its target URI): the
 * path and query exactly as received, less a fragment and an empty query (`/a?` is `/a`), and an
 * absolute-form target (`http://host/a`, as proxies send) reduced to its path and query.
 *
 * Nothing else is normalised, on purpose: the key must name what the application will answer, and
 * Express routes on the raw path. Resolving dot segments (`/a/../b` → `/b`), turning `\\` into `/` or
 * reading `//x/b` as host `x` (as the WHATWG URL parser does) would let a request the application
 * answers differently (a 404) be stored under another URL's key: cache poisoning.
 */
export function normalizeUrl(target: string): string {
  let path = target;
  const hash = path.indexOf('#');
  if (hash !== -1) path = path.slice(0, hash);
  if (!path.startsWith('/')) {
    const absolute = ABSOLUTE_FORM.exec(path);
    if (absolute !== null) path = path.slice(absolute[0].length);
    if (!path.startsWith('/')) path = `/${path}`;
  }
  const query = path.indexOf('?');
  return query === path.length - 1 ? path.slice(0, query) : path;
}

/**
 * The resource a key or an invalidation names: a path or absolute http(s) URL is normalised as a
 * request target; anything else (a custom key) is taken as it is.
 */
export function normalizeResource(resource: string): string {
  return resource.startsWith('/') || /^https?:\/\//i.test(resource) ? normalizeUrl(resource) : resource;
}

/** Stands for a request without a host, so that only relative references resolve to its origin. */
const NO_HOST = 'memwire.invalid';

/**
 * The path and query of a `Location` or `Content-Location` value when it names a resource of the same
 * origin as the request (RFC 9111 §4.4 invalidates only those), else undefined. `origin` is the
 * request's, as the cache keys it (`scheme://host[:port]`, or `//host` when the scheme is unknown:
 * then only the host is compared); a relative reference is resolved against the request's target.
 */
export function sameOriginTarget(value: string, requestTarget: string, origin: string): string | undefined {
  const schemeless = origin.startsWith('//');
  const host = origin.slice(origin.indexOf('//') + 2);
  const scheme = schemeless ? 'http:' : origin.slice(0, origin.indexOf('//'));
  let base: URL;
  let url: URL;
  try {
    base = new URL(`${scheme}//${host === '' ? NO_HOST : host}${normalizeUrl(requestTarget)}`);
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  if (url.host !== base.host) return undefined;
  if (schemeless ? url.protocol !== 'http:' && url.protocol !== 'https:' : url.protocol !== base.protocol) {
    return undefined;
  }
  return url.pathname + url.search;
}
