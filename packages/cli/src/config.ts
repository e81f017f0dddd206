import {
  type Client,
  type ClientOptions,
  createClient,
  formatAddress,
  type ResolvedConfig,
  resolveConfig,
  type ServerAddress,
  serverOptionsFrom,
  type Value,
} from '@memwire/core';
import { UsageError } from './exit-codes.js';

/** The options every command takes, as commander parses them. */
export interface GlobalOptions {
  /** `--servers`: a `host:port[:weight]` list or a `memcache://` URL; wins over the environment. */
  servers?: string | undefined;
  /** `--url`: a `memcache://user:pass@host:port` URL; wins over the environment. */
  url?: string | undefined;
  /** `--no-env` sets this to false: ignore `MEMCACHE_*` / `MEMCACHIER_*` / `IRON_*`. */
  env: boolean;
  /** `--timeout <ms>`: connect and command timeout. */
  timeout?: string | undefined;
  json: boolean;
  /** `--no-color` sets this to false. */
  color: boolean;
}

/**
 * The client options a command line stands for. Only what was given on the command line is set, so
 * resolveConfig applies the environment and the defaults exactly as `createClient()` in an app does.
 */
export function clientOptions(globals: GlobalOptions): ClientOptions<Value> {
  const options: ClientOptions<Value> = { env: globals.env ? process.env : false };
  if (globals.servers !== undefined) options.servers = globals.servers;
  if (globals.url !== undefined) options.url = globals.url;
  if (globals.timeout !== undefined) {
    const ms = parseWhole(globals.timeout, '--timeout', 1);
    options.connectTimeout = ms;
    options.commandTimeout = ms;
  }
  return options;
}

/** A whole number from the command line, at least `min`; a UsageError names the flag otherwise. */
export function parseWhole(text: string, flag: string, min = 0): number {
  const value = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** How a setting's origin reads to an operator: the flag or variable they set, or "default". */
export function describeSource(source: string): string {
  if (source === 'options.servers') return '--servers';
  if (source === 'options.url') return '--url';
  return source;
}

/** `host:port`, with `:weight` when it is not 1 (weights change where keys go, so they are shown). */
export function describeServer(server: ServerAddress): string {
  const address = formatAddress(server);
  return server.weight === 1 ? address : `${address}:${server.weight}`;
}

/**
 * One client per server, each with the resolved credentials, TLS and timeouts but only that server,
 * so `doctor` and `stats` can report every server on its own: one dead server must not hide the rest.
 */
export function clientPerServer(config: ResolvedConfig<Value, Value>): Map<string, Client> {
  const clients = new Map<string, Client>();
  for (const server of config.servers) {
    const address = formatAddress(server);
    if (clients.has(address)) continue;
    const options = serverOptionsFrom(config, server);
    clients.set(address, createClient(options));
  }
  return clients;
}

/** The configuration as the client reads it (environment and defaults applied); throws ConfigError. */
export function resolveCliConfig(options: ClientOptions<Value>): ResolvedConfig<Value, Value> {
  return resolveConfig(options);
}

/** Closes every client, never rejecting: used on the way out, after the result is known. */
export async function closeAll(clients: Iterable<Client>): Promise<void> {
  await Promise.allSettled([...clients].map((client) => client.close()));
}
