import { ConfigError } from '../errors.js';
import { maskUserinfo } from './secrets.js';

/** One memcached server as configured. */
export interface ServerAddress {
  /** Exactly as configured (no DNS): ketama hashes this text, so `localhost` and `127.0.0.1` differ. */
  host: string;
  port: number;
  /** Relative share of keys under ketama. @default 1 */
  weight: number;
  /**
   * An IP address to connect to instead of resolving `host` (ElastiCache discovery gives both; the
   * ring still hashes `host`, and TLS still verifies it).
   */
  ip?: string | undefined;
}

/** What `servers` accepts besides `'host:port[:weight]'` text. */
export interface ServerAddressInput {
  host: string;
  /** @default 11211 */
  port?: number;
  /** @default 1 */
  weight?: number;
}

export const DEFAULT_PORT = 11211;

/**
 * The largest server weight: libmemcached keeps weights as uint32_t. A larger one (a 400-digit
 * weight is Infinity as a number) would make every ketama point NaN and every command fail.
 */
export const MAX_WEIGHT = 0xffffffff;

/** `host:port` (`[v6]:port` for IPv6): how errors, stats and events name a server. */
export function formatAddress(server: { host: string; port: number }): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** A server list, with the credentials its memjs-style `user:pass@host:port` entries carried. */
export interface ServerListWithCredentials {
  servers: ServerAddress[];
  username: string | undefined;
  password: string | undefined;
}

/**
 * Parses a server list as Heroku-style variables carry it: comma- or space-separated
 * `host:port[:weight]`, `[::1]:11211` for IPv6, a bare host meaning port 11211. `source` names the
 * variable or option in errors. Returns addresses only: an entry carrying credentials
 * (`user:pass@host`) is refused, masked; {@link parseServerListWithCredentials} reads them.
 */
export function parseServerList(text: string, source: string): ServerAddress[] {
  const list = parseServerListWithCredentials(text, source);
  if (list.username !== undefined || list.password !== undefined) {
    throw new ConfigError(`${source}: credentials are not accepted in this server list`);
  }
  return list.servers;
}

/**
 * Like {@link parseServerList}, also reading memjs's `user:pass@host:port` entries (what memjs and
 * MemCachier's examples put in `MEMCACHIER_SERVERS`). The credentials end at the last "@" and the
 * username at the first ":", taken as written (no percent-decoding, as memjs); every entry that has
 * them must have the same ones, since a client logs in with one username and password.
 */
export function parseServerListWithCredentials(text: string, source: string): ServerListWithCredentials {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(`${source}: no servers given`);
  let credentials: { username: string | undefined; password: string | undefined } | undefined;
  const servers = entries.map((entry) => {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(entry);
    if (scheme !== null) {
      const why = /^memcaches?$/i.test(scheme[1]!)
        ? 'a memcache:// URL must be the whole server list'
        : `unknown URL scheme "${scheme[1]}://"; use memcache:// or memcaches://`;
      throw new ConfigError(`${source}: bad server entry ${JSON.stringify(maskUserinfo(entry))}: ${why}`);
    }
    const at = entry.lastIndexOf('@');
    if (at === -1) return parseServerEntry(entry, source);
    const userinfo = entry.slice(0, at);
    const colon = userinfo.indexOf(':');
    const found = {
      username: (colon === -1 ? userinfo : userinfo.slice(0, colon)) || undefined,
      password: colon === -1 ? undefined : userinfo.slice(colon + 1),
    };
    if (
      credentials !== undefined &&
      (credentials.username !== found.username || credentials.password !== found.password)
    ) {
      throw new ConfigError(
        `${source}: the server entries carry different credentials; a client logs in with one username and password`,
      );
    }
    credentials = found;
    return parseServerEntry(entry.slice(at + 1), source, entry);
  });
  return { servers, username: credentials?.username, password: credentials?.password };
}

/** One `host:port[:weight]` entry; `quoted` is what errors show of it (masked when it had credentials). */
export function parseServerEntry(entry: string, source: string, quoted: string = entry): ServerAddress {
  const fail = (why: string): never => {
    throw new ConfigError(`${source}: bad server entry ${JSON.stringify(maskUserinfo(quoted))}: ${why}`);
  };
  let host: string;
  let rest: string[];
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close === -1) fail('unclosed "[" in IPv6 address');
    host = entry.slice(1, close);
    const tail = entry.slice(close + 1);
    if (tail !== '' && !tail.startsWith(':')) fail('expected ":port" after "]"');
    rest = tail === '' ? [] : tail.slice(1).split(':');
  } else {
    const parts = entry.split(':');
    if (parts.length > 3) fail('IPv6 addresses must be written in brackets, as [::1]:11211');
    host = parts[0] ?? '';
    rest = parts.slice(1);
  }
  if (host === '') fail('missing host');
  if (/[\s/@]/.test(host)) fail('host contains an invalid character');
  const port = rest[0] === undefined ? DEFAULT_PORT : toInteger(rest[0]);
  if (port === undefined || port < 1 || port > 65535) fail('port must be a whole number from 1 to 65535');
  let weight = 1;
  if (rest[1] !== undefined) {
    const parsed = toInteger(rest[1]);
    if (parsed === undefined || parsed > MAX_WEIGHT)
      fail(`weight must be a whole number from 0 to ${MAX_WEIGHT}`);
    // libmemcached treats weight 0 as 1.
    weight = parsed === 0 ? 1 : (parsed as number);
  }
  if (rest.length > 2) fail('expected host:port[:weight]');
  return { host, port: port as number, weight };
}

export function normalizeServer(input: ServerAddressInput, source: string): ServerAddress {
  const entry = { host: input.host, port: input.port ?? DEFAULT_PORT, weight: input.weight ?? 1 };
  if (typeof entry.host !== 'string' || entry.host === '' || /[\s/@]/.test(entry.host)) {
    const quoted = typeof entry.host === 'string' ? maskUserinfo(entry.host) : entry.host;
    throw new ConfigError(`${source}: bad server host ${JSON.stringify(quoted)}`);
  }
  if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535) {
    throw new ConfigError(`${source}: bad port ${entry.port} for ${entry.host}`);
  }
  if (!Number.isSafeInteger(entry.weight) || entry.weight < 0 || entry.weight > MAX_WEIGHT) {
    throw new ConfigError(
      `${source}: bad weight ${entry.weight} for ${entry.host}: use a whole number from 0 to ${MAX_WEIGHT}`,
    );
  }
  return { ...entry, weight: entry.weight === 0 ? 1 : entry.weight };
}

function toInteger(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
