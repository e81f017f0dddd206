import { ConfigError } from '../errors.js';
import { parseServerList, type ServerAddress } from './server-address.js';

export interface ParsedUrl {
  servers: ServerAddress[];
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** True for `memcache://` and `memcaches://` URLs. */
export function isMemcacheUrl(text: string): boolean {
  return /^memcaches?:\/\//i.test(text.trim());
}

/**
 * Parses `memcache://user:pass@host:port,host2:port` (`memcaches://` for TLS). WHATWG `URL` cannot
 * hold several hosts, so this splits by hand; user and password are percent-decoded. Errors name
 * `source` and the host part, never the credentials.
 */
export function parseMemcacheUrl(text: string, source: string): ParsedUrl {
  // The credentials end at the last "@" before the first "/" (as in WHATWG URLs), so an unescaped
  // "@" in a password stays in the password instead of being parsed, and echoed, as a host.
  const match = /^(memcaches?):\/\/(?:([^/]*)@)?([^/?#@]*)([/?#].*)?$/i.exec(text.trim());
  if (match === null) throw new ConfigError(`${source}: not a memcache:// or memcaches:// URL`);
  const [, scheme = '', userinfo, hosts = '', rest] = match;
  // An unescaped "/" in a password ends the host part early: what looks like a host is then part of
  // the credentials, so refuse the URL without quoting any of it.
  if (rest?.includes('@')) {
    throw new ConfigError(`${source}: a "/" in the URL's user or password must be percent-encoded as %2F`);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    try {
      username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
      password = colon === -1 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
    } catch {
      throw new ConfigError(`${source}: the URL's user or password has a bad percent-escape`);
    }
  }
  if (hosts === '') throw new ConfigError(`${source}: the URL names no host`);
  return {
    servers: parseServerList(hosts, source),
    username: username === '' ? undefined : username,
    password,
    tls: scheme.toLowerCase() === 'memcaches',
  };
}
