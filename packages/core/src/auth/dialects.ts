import { encodeStorage, type Wire } from '../protocol/encoder.js';

/**
 * The pseudo-set login dialects (a `set` carrying credentials as the first command of a connection):
 * - `memcachier`: `set <username> 0 0 <n>\r\n<password>\r\n` (MemCachier).
 * - `memcached`: `set <key> 0 0 <n>\r\n<username> <password>\r\n` (memcached's own `-Y <authfile>`).
 * - `ironcache`: `set oauth 0 0 <n>\r\n<token> <project_id> <cache_name>\r\n` (IronCache).
 * - `auto` sends the memcachier form and, when memcached answers
 *   `CLIENT_ERROR bad authentication token format`, retries in the memcached form.
 */
export type AuthDialect = 'auto' | 'memcachier' | 'memcached' | 'ironcache';
export type WireDialect = Exclude<AuthDialect, 'auto'>;

export const AUTH_DIALECTS: readonly AuthDialect[] = ['auto', 'memcachier', 'memcached', 'ironcache'];

/** Username and password, for the memcachier and memcached dialects. */
export interface PasswordCredentials {
  kind: 'password';
  username: string;
  password: string;
}

/** IronCache's OAuth token, project and cache. */
export interface IronCacheCredentials {
  kind: 'ironcache';
  token: string;
  projectId: string;
  cacheName: string;
}

export type Credentials = PasswordCredentials | IronCacheCredentials;

/** The pseudo-set bytes for one dialect. Credentials were checked at configuration time. */
export function encodeLogin(dialect: WireDialect, credentials: Credentials): Wire {
  if (credentials.kind === 'ironcache') {
    const value = `${credentials.token} ${credentials.projectId} ${credentials.cacheName}`;
    return encodeStorage('set', 'oauth', 0, 0, Buffer.from(value));
  }
  if (dialect === 'memcached') {
    // memcached -Y ignores the key; the username is a valid key (checked), so reuse it.
    const value = `${credentials.username} ${credentials.password}`;
    return encodeStorage('set', credentials.username, 0, 0, Buffer.from(value));
  }
  return encodeStorage('set', credentials.username, 0, 0, Buffer.from(credentials.password));
}
