import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import inject from 'light-my-request';
import type { RefreshRequest } from '../types.js';

/** An Express application as far as a refresh needs one: a `(req, res)` handler, maybe mounted. */
interface AppLike {
  (req: IncomingMessage, res: ServerResponse): void;
  parent?: AppLike | undefined;
}

/**
 * The hook that sends a stale-while-revalidate refresh through the Express application serving
 * `req`, by light-my-request (Fastify's `inject`: a real `IncomingMessage`/`ServerResponse` pair,
 * no socket). The top application is used (a mounted sub-app's `parent` chain), since the URL
 * refreshed is the original one. Undefined outside Express (no `req.app`).
 */
export function expressRefresh(req: {
  app?: unknown;
  socket?: unknown;
}): ((request: RefreshRequest) => Promise<unknown>) | undefined {
  let app = req.app as AppLike | undefined;
  if (typeof app !== 'function') return undefined;
  while (typeof app.parent === 'function') app = app.parent;
  const root = app;
  // Through a plain function, never the app itself: handed an Express app, light-my-request 6
  // re-parents Express's shared request and response prototypes onto its own classes, for the whole
  // process, which breaks every real request served afterwards (seen: "Cannot set properties of
  // undefined (setting 'headers')" in its writeHead). Express re-prototypes each request it
  // handles anyway; the injected pair only loses light-my-request's copy of the body, not needed.
  // The refresh comes from the client's address, over the client's TLS or not: an application that
  // trusts a proxy by address (`trust proxy`) or reads `req.secure` sees the refresh as it saw the
  // client, so it keys and shapes the page alike (light-my-request's own default is 127.0.0.1, which
  // an app trusting loopback would take for its proxy).
  const socket = req.socket as { remoteAddress?: unknown; encrypted?: unknown } | undefined;
  const remoteAddress = typeof socket?.remoteAddress === 'string' ? socket.remoteAddress : undefined;
  const encrypted = socket?.encrypted === true;
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    if (encrypted) Object.defineProperty(req.socket, 'encrypted', { value: true, configurable: true });
    root(req, res);
  };
  return (request) =>
    inject(dispatch, {
      method: request.method,
      url: request.url,
      headers: withoutInjectedAgent(request.headers),
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
    });
}

/**
 * light-my-request adds `User-Agent: lightMyRequest` to a request that has none, unless the header is
 * given as undefined: the refresh of a variant for requests without one must not become another.
 */
export function withoutInjectedAgent(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return headers['user-agent'] === undefined ? { ...headers, 'user-agent': undefined } : headers;
}
