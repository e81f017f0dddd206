import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { AuthDialect, Credentials } from '../auth/dialects.js';
import { AUTH_DIALECTS } from '../auth/dialects.js';
import { defaultKeyHash } from '../cluster/selector.js';
import type { Failover } from '../cluster/topology.js';
import type { Codec } from '../codec/codec.js';
import { defaultCodec } from '../codec/default-codec.js';
import { ConfigError } from '../errors.js';
import type { MemwireLogger } from '../logger.js';
import { keyProblem } from '../protocol/keys.js';
import { DEFAULT_OPTIONS } from './defaults.js';
import { readEnvironment } from './env.js';
import type { ClientOptions, Distribution, KeyHash, Protocol } from './options.js';
import { hideSecrets } from './secrets.js';
import {
  normalizeServer,
  parseServerList,
  parseServerListWithCredentials,
  type ServerAddress,
  type ServerAddressInput,
  type ServerListWithCredentials,
} from './server-address.js';
import { isMemcacheUrl, parseMemcacheUrl } from './url.js';

/** Options with every default applied and every value checked. */
export interface ResolvedConfig<In, Out> {
  servers: ServerAddress[];
  credentials: Credentials | undefined;
  authDialect: AuthDialect;
  tls: TlsConnectionOptions | undefined;
  keyPrefix: string;
  keyFunction: ((key: string) => string) | undefined;
  hashLongKeys: boolean;
  ttl: number;
  maxValueSize: number;
  connectTimeout: number;
  commandTimeout: number;
  failureThreshold: number;
  failover: Failover;
  retryDelay: number;
  maxRetryDelay: number;
  distribution: Distribution;
  hash: KeyHash;
  maxKeysPerGet: number;
  poolSize: number;
  keepAlive: boolean;
  proxy: 'twemproxy' | undefined;
  protocol: Protocol;
  /** Set when the servers are ElastiCache configuration endpoints. */
  autoDiscovery: { interval: number } | undefined;
  codec: Codec<In, Out>;
  /** Where each setting came from: an option name, an environment variable, or 'default'. */
  sources: Record<'servers' | 'username' | 'password' | 'tls' | 'authDialect', string>;
  maxReplyValueSize: number;
  maxPendingCommands: number;
  unrefWhenIdle: boolean;
  logger: MemwireLogger | undefined;
}

/** Applies the environment and the defaults to `options`; throws ConfigError on anything invalid. */
export function resolveConfig<In, Out>(options: ClientOptions<In, Out> = {}): ResolvedConfig<In, Out> {
  const env = options.env === false ? {} : readEnvironment(options.env ?? process.env);
  const url = options.url === undefined ? undefined : parseMemcacheUrl(options.url, 'options.url');
  const sources = {
    servers: 'default',
    username: 'default',
    password: 'default',
    tls: 'default',
    authDialect: 'default',
  };

  let servers: ServerAddress[] | undefined;
  let serversUrl: ReturnType<typeof parseMemcacheUrl> | undefined;
  // Credentials of memjs-style `user:pass@host:port` entries in options.servers.
  let entries: ServerListWithCredentials | undefined;
  if (typeof options.servers === 'string' && isMemcacheUrl(options.servers)) {
    serversUrl = parseMemcacheUrl(options.servers, 'options.servers');
    servers = serversUrl.servers;
  } else if (typeof options.servers === 'string') {
    entries = parseServerListWithCredentials(options.servers, 'options.servers');
    servers = entries.servers;
  } else if (options.servers !== undefined) {
    entries = joinEntries(options.servers);
    servers = entries.servers;
    if (servers.length === 0) throw new ConfigError('options.servers: no servers given');
  }
  const fromUrl = serversUrl ?? url;
  const pick = <T>(key: keyof typeof sources, ...candidates: [T | undefined, string][]): T | undefined => {
    for (const [value, source] of candidates) {
      if (value !== undefined) {
        sources[key] = source;
        return value;
      }
    }
    return undefined;
  };
  const urlName = serversUrl !== undefined ? 'options.servers' : 'options.url';
  const resolvedServers =
    pick(
      'servers',
      [servers, 'options.servers'],
      [url?.servers, 'options.url'],
      [env.servers?.value, env.servers?.source ?? ''],
    ) ?? parseServerList(DEFAULT_OPTIONS.servers, 'default');
  const username = pick<string>(
    'username',
    [options.username, 'options.username'],
    [fromUrl?.username, urlName],
    [entries?.username, 'options.servers'],
    [env.username?.value, env.username?.source ?? ''],
  );
  const password = pick<string>(
    'password',
    [options.password, 'options.password'],
    [fromUrl?.password, urlName],
    [entries?.password, 'options.servers'],
    [env.password?.value, env.password?.source ?? ''],
  );
  const tlsOption = pick<boolean | TlsConnectionOptions>(
    'tls',
    [options.tls, 'options.tls'],
    [fromUrl?.tls === true ? true : undefined, urlName],
    [env.tls?.value, env.tls?.source ?? ''],
  );
  const ironcache = options.ironcache ?? env.ironcache?.value;
  const authDialect =
    pick<AuthDialect>(
      'authDialect',
      [options.authDialect, 'options.authDialect'],
      [env.authDialect?.value, env.authDialect?.source ?? ''],
    ) ?? (ironcache !== undefined && username === undefined ? 'ironcache' : DEFAULT_OPTIONS.authDialect);
  if (!AUTH_DIALECTS.includes(authDialect)) {
    throw new ConfigError(
      `options.authDialect: unknown dialect "${authDialect}"; use ${AUTH_DIALECTS.join(', ')}`,
    );
  }

  return {
    servers: resolvedServers,
    credentials: buildCredentials(authDialect, username, password, ironcache, sources),
    authDialect,
    tls: resolveTls(tlsOption),
    keyPrefix: options.keyPrefix ?? DEFAULT_OPTIONS.keyPrefix,
    keyFunction: options.keyFunction,
    hashLongKeys: options.hashLongKeys ?? DEFAULT_OPTIONS.hashLongKeys,
    ttl: checkNumber('ttl', options.ttl ?? DEFAULT_OPTIONS.ttl, -Infinity),
    maxValueSize: checkNumber('maxValueSize', options.maxValueSize ?? DEFAULT_OPTIONS.maxValueSize, 1),
    connectTimeout: checkNumber(
      'connectTimeout',
      options.connectTimeout ?? DEFAULT_OPTIONS.connectTimeout,
      1,
      MAX_TIMER_MS,
    ),
    commandTimeout: checkNumber(
      'commandTimeout',
      options.commandTimeout ?? DEFAULT_OPTIONS.commandTimeout,
      1,
      MAX_TIMER_MS,
    ),
    failureThreshold: checkNumber(
      'failureThreshold',
      options.failureThreshold ?? DEFAULT_OPTIONS.failureThreshold,
      1,
    ),
    failover: checkFailover(options.failover ?? DEFAULT_OPTIONS.failover),
    retryDelay: checkNumber('retryDelay', options.retryDelay ?? DEFAULT_OPTIONS.retryDelay, 0, MAX_TIMER_MS),
    maxRetryDelay: checkNumber(
      'maxRetryDelay',
      options.maxRetryDelay ?? DEFAULT_OPTIONS.maxRetryDelay,
      0,
      MAX_TIMER_MS,
    ),
    distribution: checkDistribution(options.distribution ?? DEFAULT_OPTIONS.distribution),
    hash: checkHash(options.hash ?? defaultKeyHash(options.distribution ?? DEFAULT_OPTIONS.distribution)),
    // Through twemproxy every get has its own line: a multi-key line that touches a dead backend
    // fails whole (SERVER_ERROR) and the proxy closes the connection.
    maxKeysPerGet:
      options.proxy === 'twemproxy'
        ? 1
        : checkNumber('maxKeysPerGet', options.maxKeysPerGet ?? DEFAULT_OPTIONS.maxKeysPerGet, 1),
    poolSize: checkPoolSize(options.poolSize ?? DEFAULT_OPTIONS.poolSize),
    keepAlive: options.keepAlive ?? DEFAULT_OPTIONS.keepAlive,
    proxy: checkProxy(options.proxy),
    protocol: checkProtocol(options.protocol ?? DEFAULT_OPTIONS.protocol, options.proxy),
    autoDiscovery: resolveAutoDiscovery(options.autoDiscovery),
    codec: options.codec ?? (defaultCodec as unknown as Codec<In, Out>),
    sources,
    maxReplyValueSize: checkNumber(
      'maxReplyValueSize',
      options.maxReplyValueSize ??
        Math.max(
          options.maxValueSize ?? DEFAULT_OPTIONS.maxValueSize,
          DEFAULT_OPTIONS.maxReplyValueSizeFloor,
        ),
      1,
      // memcached's own item size ceiling (`-I` accepts at most 1024m).
      1024 * 1024 * 1024,
    ),
    maxPendingCommands: checkNumber(
      'maxPendingCommands',
      options.maxPendingCommands ?? DEFAULT_OPTIONS.maxPendingCommands,
      1,
    ),
    unrefWhenIdle: options.unrefWhenIdle ?? DEFAULT_OPTIONS.unrefWhenIdle,
    logger: checkLogger(options.logger),
  };
}

function checkLogger(logger: ClientOptions['logger']): MemwireLogger | undefined {
  if (logger === undefined || logger === false) return undefined;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new ConfigError(
      'logger must be an object with a warn(message) method (console, pino, Nest’s Logger…) or false',
    );
  }
  return logger;
}

function buildCredentials(
  dialect: AuthDialect,
  username: string | undefined,
  password: string | undefined,
  ironcache: { token: string; projectId: string; cacheName: string } | undefined,
  sources: Record<string, string>,
): Credentials | undefined {
  if (dialect === 'ironcache') {
    if (ironcache === undefined) {
      throw new ConfigError(
        'authDialect is "ironcache" but no IronCache credentials (IRON_TOKEN, IRON_PROJECT_ID) are set',
      );
    }
    for (const [name, value] of Object.entries(ironcache)) {
      if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
        throw new ConfigError(`ironcache.${name} must be a non-empty string without whitespace`);
      }
    }
    return hideSecrets<Credentials>({ kind: 'ironcache', ...ironcache }, ['token']);
  }
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined)
    throw new ConfigError(`a password is set (${sources['password']}) but no username`);
  if (password === undefined)
    throw new ConfigError(`a username is set (${sources['username']}) but no password`);
  // The username travels as a key (memcachier dialect) and space-separated (memcached dialect).
  const problem = keyProblem(username);
  if (problem !== undefined) throw new ConfigError(`username (${sources['username']}) ${problem}`);
  if (/[\r\n]/.test(password))
    throw new ConfigError(`password (${sources['password']}) contains a line break`);
  return hideSecrets<Credentials>({ kind: 'password', username, password }, ['password']);
}

/** The servers of an options.servers array, and the credentials its string entries carry. */
function joinEntries(list: ReadonlyArray<string | ServerAddressInput>): ServerListWithCredentials {
  const joined: ServerListWithCredentials = { servers: [], username: undefined, password: undefined };
  let carrier: string | undefined;
  list.forEach((entry, i) => {
    const source = `options.servers[${i}]`;
    if (typeof entry !== 'string') {
      joined.servers.push(normalizeServer(entry, source));
      return;
    }
    const parsed = parseServerListWithCredentials(entry, source);
    joined.servers.push(...parsed.servers);
    if (parsed.username === undefined && parsed.password === undefined) return;
    if (
      carrier !== undefined &&
      (parsed.username !== joined.username || parsed.password !== joined.password)
    ) {
      throw new ConfigError(
        `${source}: the server entries carry different credentials than ${carrier}; a client logs in with one username and password`,
      );
    }
    carrier = source;
    joined.username = parsed.username;
    joined.password = parsed.password;
  });
  return joined;
}

/** The TLS options; a copy whose key, passphrase and pfx read `***` in `util.inspect` and JSON. */
function resolveTls(option: boolean | TlsConnectionOptions | undefined): TlsConnectionOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return {};
  return hideSecrets({ ...option }, ['key', 'passphrase', 'pfx']);
}

/** Node runs a timer whose delay exceeds this after 1 ms instead (with a TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkNumber(name: string, value: number, min: number, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`options.${name} must be a finite number ${range}, got ${String(value)}`);
  }
  return value;
}

function resolveAutoDiscovery(option: ClientOptions['autoDiscovery']): { interval: number } | undefined {
  if (option === undefined || option === false) return undefined;
  const interval =
    option === true
      ? DEFAULT_OPTIONS.autoDiscoveryInterval
      : (option.interval ?? DEFAULT_OPTIONS.autoDiscoveryInterval);
  return { interval: checkNumber('autoDiscovery.interval', interval, 1000, MAX_TIMER_MS) };
}

function checkProtocol(value: Protocol, proxy: ClientOptions['proxy']): Protocol {
  if (value !== 'auto' && value !== 'classic' && value !== 'meta') {
    throw new ConfigError(`options.protocol must be 'auto', 'classic' or 'meta', got ${String(value)}`);
  }
  // twemproxy closes the connection on a command it does not know, dropping every reply in flight.
  if (value === 'meta' && proxy === 'twemproxy') {
    throw new ConfigError(
      "options.protocol 'meta' cannot go through twemproxy, which does not forward meta commands",
    );
  }
  return value;
}

function checkProxy(value: ClientOptions['proxy']): 'twemproxy' | undefined {
  if (value !== undefined && value !== 'twemproxy') {
    throw new ConfigError(`options.proxy must be 'twemproxy' or undefined, got ${String(value)}`);
  }
  return value;
}

function checkFailover(value: Failover): Failover {
  if (value !== 'miss' && value !== 'rehash') {
    throw new ConfigError(`options.failover must be 'miss' or 'rehash', got ${String(value)}`);
  }
  return value;
}

function checkPoolSize(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new ConfigError(`options.poolSize must be a whole number from 1 to 64, got ${String(value)}`);
  }
  return value;
}

function checkDistribution(value: Distribution): Distribution {
  if (value !== 'ketama' && value !== 'ketama-unweighted' && value !== 'modula') {
    throw new ConfigError(
      `options.distribution must be 'ketama', 'ketama-unweighted' or 'modula', got ${String(value)}`,
    );
  }
  return value;
}

function checkHash(value: KeyHash): KeyHash {
  if (value !== 'one-at-a-time' && value !== 'md5') {
    throw new ConfigError(`options.hash must be 'one-at-a-time' or 'md5', got ${String(value)}`);
  }
  return value;
}
