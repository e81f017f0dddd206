import { ConfigError } from '../errors.js';

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

/** `host:port` (`[v6]:port` for IPv6): how errors, stats and events name a server. */
export function formatAddress(server: { host: string; port: number }): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/**
 * Parses a server list as Heroku-style variables carry it: comma- or space-separated
 * `host:port[:weight]`, `[::1]:11211` for IPv6, a bare host meaning port 11211. `source` names the
 * variable or option in errors; the text is never a credential (URLs are split first).
 */
export function parseServerList(text: string, source: string): ServerAddress[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(`${source}: no servers given`);
  return entries.map((entry) => parseServerEntry(entry, source));
}

export function parseServerEntry(entry: string, source: string): ServerAddress {
  const fail = (why: string): never => {
    throw new ConfigError(`${source}: bad server entry ${JSON.stringify(entry)}: ${why}`);
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
    if (parsed === undefined) fail('weight must be a whole number');
    // libmemcached treats weight 0 as 1.
    weight = parsed === 0 ? 1 : (parsed as number);
  }
  if (rest.length > 2) fail('expected host:port[:weight]');
  return { host, port: port as number, weight };
}

export function normalizeServer(input: ServerAddressInput, source: string): ServerAddress {
  const entry = { host: input.host, port: input.port ?? DEFAULT_PORT, weight: input.weight ?? 1 };
  if (typeof entry.host !== 'string' || entry.host === '' || /[\s/@]/.test(entry.host)) {
    throw new ConfigError(`${source}: bad server host ${JSON.stringify(entry.host)}`);
  }
  if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535) {
    throw new ConfigError(`${source}: bad port ${entry.port} for ${entry.host}`);
  }
  if (!Number.isInteger(entry.weight) || entry.weight < 0) {
    throw new ConfigError(`${source}: bad weight ${entry.weight} for ${entry.host}`);
  }
  return { ...entry, weight: entry.weight === 0 ? 1 : entry.weight };
}

function toInteger(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
