import { AUTH_DIALECTS, type AuthDialect } from '../auth/dialects.js';
import { ConfigError } from '../errors.js';
import type { Environment } from './options.js';
import { hideSecrets } from './secrets.js';
import { parseServerListWithCredentials, type ServerAddress } from './server-address.js';
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
 * `MEMCACHE_*`. A servers variable may hold a `memcache://` URL, or memjs's `user:pass@host:port`
 * entries. Malformed values throw a ConfigError naming the variable and the bad entry, never a
 * password; the password and the IronCache token read `***` in `util.inspect` and JSON.
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
      // memjs's `user:pass@host:port` entries: their credentials win over the variables, as in memjs.
      const list = parseServerListWithCredentials(servers.value, servers.source);
      settings.servers = { value: list.servers, source: servers.source };
      if (list.username !== undefined) settings.username = { value: list.username, source: servers.source };
      if (list.password !== undefined) settings.password = { value: list.password, source: servers.source };
    }
  }
  settings.username ??= first(env, ['MEMCACHIER_USERNAME', 'MEMCACHE_USERNAME']);
  // A password is taken byte for byte: spaces may be part of it.
  settings.password ??= first(env, ['MEMCACHIER_PASSWORD', 'MEMCACHE_PASSWORD'], false);
  if (settings.password !== undefined) hideSecrets(settings.password, ['value']);

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
      value: hideSecrets({ token: token.value, projectId: projectId.value, cacheName }, ['token']),
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
