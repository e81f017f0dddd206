import type { Value } from '../codec/default-codec.js';
import type { ClientOptions } from './options.js';
import type { ResolvedConfig } from './resolve.js';
import { formatAddress, type ServerAddress } from './server-address.js';

/**
 * The options of a client that reaches one server of a resolved configuration as the application's
 * client does: its credentials, auth dialect, TLS, proxy mode and timeouts, one connection, and no
 * environment read again. For tools that look at every server on its own (`memwire doctor`, a health
 * check): one dead server must not hide the rest. `overrides` win (a ping's own timeouts).
 */
export function serverOptionsFrom(
  config: ResolvedConfig<unknown, unknown>,
  server: ServerAddress | string,
  overrides: Partial<ClientOptions<Value>> = {},
): ClientOptions<Value> {
  const options: ClientOptions<Value> = {
    env: false,
    servers: typeof server === 'string' ? server : formatAddress(server),
    authDialect: config.authDialect,
    tls: config.tls ?? false,
    proxy: config.proxy,
    connectTimeout: config.connectTimeout,
    commandTimeout: config.commandTimeout,
    keepAlive: config.keepAlive,
    maxReplyValueSize: config.maxReplyValueSize,
    poolSize: 1,
  };
  const credentials = config.credentials;
  if (credentials?.kind === 'password') {
    options.username = credentials.username;
    options.password = credentials.password;
  } else if (credentials?.kind === 'ironcache') {
    const { token, projectId, cacheName } = credentials;
    options.ironcache = { token, projectId, cacheName };
  }
  return { ...options, ...overrides };
}
