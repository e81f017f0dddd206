import { HttpError, RouterErrorCodes } from './http-errors.js';

/** `scheme://authority` at the start of an absolute-form target. */
const ORIGIN = /^[a-z][a-z\d+.-]*:\/\/[^/?]*/i;

/**
 * The key in the path (`/<key>`, percent-decoded; undefined for `/`) and the query, read from the
 * request target exactly as sent.
 *
 * No dot-segment is resolved, on purpose: a WHATWG URL parser (`new URL()`) reads `%2e%2e` as `..`
 * (URL Standard, "single-dot / double-dot URL path segment"), so `/%2e%2e` and `/x/%2E%2E` become `/`
 * — with `allowFlush`, `DELETE /` is `flush_all`. Express's mounting only strips the mount path from
 * `req.url` and resolves nothing ({@link routedTarget} undoes Express 4's one quirk), so what arrives
 * here is the raw path: `/` alone is the root, one
 * segment is a key, anything else is no route. A key spelled `.` or `..` (in any encoding) is refused:
 * a proxy or client URL parser on the way may resolve it, so it could never be addressed reliably.
 */
export function parseTarget(target: string): { key: string | undefined; query: URLSearchParams } {
  const queryAt = target.indexOf('?');
  let path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1));
  // The absolute form (RFC 9112 §3.2.2), which a server must accept: its path is read the same way.
  const origin = ORIGIN.exec(path);
  if (origin !== null) path = path.slice(origin[0].length) || '/';
  if (!path.startsWith('/')) throw badRequest('the request target must be a path');
  if (path === '/') return { key: undefined, query };
  const segment = path.slice(1);
  if (segment.includes('/')) {
    throw new HttpError(404, RouterErrorCodes.NOT_FOUND, 'no such route: encode a / in a key as %2F');
  }
  let key: string;
  try {
    key = decodeURIComponent(segment);
  } catch {
    throw badRequest('the key is not valid percent-encoding');
  }
  if (key === '.' || key === '..') {
    throw badRequest('a key cannot be "." or "..": URL parsers on the way resolve them as dot-segments');
  }
  return { key, query };
}

/**
 * The target as the router sees it: `req.url`, except under Express, where it is the original URL
 * less the mount path (`req.baseUrl`). Express 4 strips the mount path *with* the slash after it, so
 * `/cache//` arrives in `req.url` as `/` (and `/cache//x` as `/x`); the original keeps the empty segment.
 */
export function routedTarget(req: {
  url?: string | undefined;
  originalUrl?: unknown;
  baseUrl?: unknown;
}): string {
  const url = req.url ?? '/';
  const { originalUrl, baseUrl } = req;
  if (typeof originalUrl !== 'string' || typeof baseUrl !== 'string' || baseUrl === '') return url;
  const original = originalUrl.replace(ORIGIN, '');
  if (!original.startsWith(baseUrl)) return url;
  const rest = original.slice(baseUrl.length);
  if (rest === '' || rest.startsWith('?')) return `/${rest}`;
  return rest.startsWith('/') ? rest : url;
}

function badRequest(message: string): HttpError {
  return new HttpError(400, RouterErrorCodes.BAD_REQUEST, message);
}
