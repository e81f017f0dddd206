import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { StoredEntry } from '../store/entry-store.js';
import type { CacheRequest, RefreshRequest } from '../types.js';

/** The header naming a background refresh; its value is a one-time token known only to this process. */
export const REFRESH_HEADER = 'x-memwire-refresh';

/**
 * Request fields the refresh carries besides the Vary'd ones: what the URL and its origin are keyed
 * on (Host, and the scheme and host a proxy in front reports), so the application builds the same
 * resource. Nothing else: no Cookie, no Authorization, no client's conditional or Cache-Control.
 */
const KEYED = ['host', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded'];

/**
 * The request a background refresh sends through the application for `entry`: GET of the same URL
 * with only the keyed fields and the fields the entry varies on. A varied Cookie or Authorization
 * is carried only because the entry was shared with this request under them (so the response is
 * already the one stored for everyone sending the same values); an unvaried one never is, so the
 * refreshed response cannot become one user's page stored for all.
 */
export function refreshRequestFor(entry: StoredEntry, request: CacheRequest, token: string): RefreshRequest {
  const headers: IncomingHttpHeaders = {};
  for (const name of [...KEYED, ...entry.meta.vary]) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  headers[REFRESH_HEADER] = token;
  return { method: 'GET', url: request.url, headers };
}

/**
 * The background refreshes started by this process, by token: the cache knows its own refresh by a
 * token it made (128 random bits, used once), never by a header anyone could send.
 */
export class RefreshTokens<T> {
  private readonly pending = new Map<string, T>();

  /** Registers `context` under a new token. */
  issue(context: T): string {
    const token = randomBytes(16).toString('base64url');
    this.pending.set(token, context);
    return token;
  }

  /** The context of the refresh `headers` names, removed (a token works once); undefined for any other. */
  redeem(headers: IncomingHttpHeaders): T | undefined {
    const token = headers[REFRESH_HEADER];
    if (typeof token !== 'string') return undefined;
    const context = this.pending.get(token);
    this.pending.delete(token);
    return context;
  }

  /** Withdraws a token that was never redeemed; whether it was still pending. */
  withdraw(token: string): boolean {
    return this.pending.delete(token);
  }
}
