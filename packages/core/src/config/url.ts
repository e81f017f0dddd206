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
  const match = /^(memcaches?):\/\/(?:([^@/]*)@)?([^/?#]*)([/?#].*)?$/i.exec(text.trim());
  if (match === null) throw new ConfigError(`${source}: not a memcache:// or memcaches:// URL`);
  const [, scheme = '', userinfo, hosts = ''] = match;
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
