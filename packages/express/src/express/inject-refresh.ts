import type { IncomingMessage, ServerResponse } from 'node:http';
import inject from 'light-my-request';
import type { RefreshRequest } from '../http/types.js';

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
export function expressRefresh(req: { app?: unknown }): ((request: RefreshRequest) => Promise<unknown>) | undefined {
  let app = req.app as AppLike | undefined;
  if (typeof app !== 'function') return undefined;
  while (typeof app.parent === 'function') app = app.parent;
  const root = app;
  return (request) => inject(root, { method: request.method, url: request.url, headers: request.headers });
}
