import { AUTH_DIALECTS, type AuthDialect } from '../auth/dialects.js';
import { ConfigError } from '../errors.js';
import type { Environment } from './options.js';
import { parseServerList, type ServerAddress } from './server-address.js';
import { isMemcacheUrl, parseMemcacheUrl } from './url.js';

/** A value read from the environment, with the variable it came from (for errors and `doctor`). */
export interface FromEnv<T> {
  value: T;
  source: string;
}

export interface EnvSettings {
  servers?: FromEnv<ServerAddress[]>;
  username?: FromEnv<string>;
  password?: FromEnv<string>;
  tls?: FromEnv<boolean>;
  authDialect?: FromEnv<AuthDialect>;
  ironcache?: FromEnv<{ token: string; projectId: string; cacheName: string }>;
}

/**
 * Reads configuration the Heroku way, as MemCachier and memjs do: `MEMCACHIER_*` first, then
 * `MEMCACHE_*`. A servers variable may hold a `memcache://` URL. Malformed values throw a
 * ConfigError naming the variable and the bad entry, never a password.
 */
export function readEnvironment(env: Environment): EnvSettings {
  const settings: EnvSettings = {};
  const servers = first(env, ['MEMCACHIER_SERVERS', 'MEMCACHE_SERVERS']);
  if (servers !== undefined) {
    if (isMemcacheUrl(servers.value)) {
      const url = parseMemcacheUrl(servers.value, servers.source);
      settings.servers = { value: url.servers, source: servers.source };
      if (url.username !== undefined) settings.username = { value: url.username, source: servers.source };
      if (url.password !== undefined) settings.password = { value: url.password, source: servers.source };
      if (url.tls) settings.tls = { value: true, source: servers.source };
    } else {
      settings.servers = { value: parseServerList(servers.value, servers.source), source: servers.source };
    }
  }
  settings.username ??= first(env, ['MEMCACHIER_USERNAME', 'MEMCACHE_USERNAME']);
  // A password is taken byte for byte: spaces may be part of it.
  settings.password ??= first(env, ['MEMCACHIER_PASSWORD', 'MEMCACHE_PASSWORD'], false);

  const dialect = first(env, ['MEMCACHE_AUTH_DIALECT']);
  if (dialect !== undefined) {
    const value = dialect.value.trim().toLowerCase() as AuthDialect;
    if (!AUTH_DIALECTS.includes(value)) {
      throw new ConfigError(
        `MEMCACHE_AUTH_DIALECT: unknown dialect "${dialect.value}"; use ${AUTH_DIALECTS.join(', ')}`,
      );
    }
    settings.authDialect = { value, source: dialect.source };
  }

  const token = first(env, ['IRON_TOKEN']);
  if (token !== undefined) {
    const projectId = first(env, ['IRON_PROJECT_ID']);
    if (projectId === undefined) throw new ConfigError('IRON_TOKEN is set but IRON_PROJECT_ID is not');
    const cacheName = first(env, ['IRON_CACHE'])?.value ?? 'default';
    settings.ironcache = {
      value: { token: token.value, projectId: projectId.value, cacheName },
      source: 'IRON_TOKEN',
    };
  }
  return settings;
}

/** The first variable of `names` that is set and not blank. */
function first(env: Environment, names: readonly string[], trim = true): FromEnv<string> | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '')
      return { value: trim ? value.trim() : value, source: name };
  }
  return undefined;
}
