import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCodes, formatAddress, isLoopback, type ResolvedConfig, type Value } from '@memwire/core';
import { describeServer, describeSource } from '../config.js';

/** Something `doctor` found: a problem makes it exit 1, a warning only with `--strict`. */
export interface Finding {
  /** Stable, for scripts: an `ERR_MEMWIRE_*` code for failures, an upper-case name for warnings. */
  code: string;
  message: string;
  server?: string;
  /** What to check next, for failures whose cause is usually the same. */
  hint?: string;
}

/**
 * What is risky in the configuration itself, before any server is asked: credentials in clear text
 * over a network, and server lists that other clients sharing the cache would hash differently.
 */
export async function configWarnings(config: ResolvedConfig<Value, Value>): Promise<Finding[]> {
  const warnings: Finding[] = [];
  const remote = config.servers.filter((server) => !isLoopback(server.host)).map(formatAddress);
  if (config.credentials !== undefined && config.tls === undefined && remote.length > 0) {
    warnings.push({
      code: 'CLEARTEXT_CREDENTIALS',
      message: `credentials are sent in clear text to ${remote.join(', ')}: use TLS (memcaches://) unless the network is trusted`,
    });
  }
  // With one server there is no ring: every client sends every key to it.
  if (config.servers.length < 2) return warnings;
  warnings.push(...duplicateEntries(config), ...weightWarnings(config), ...hostnameWarnings(config));
  warnings.push(...(await sameAddress(config)));
  return warnings;
}

function duplicateEntries(config: ResolvedConfig<Value, Value>): Finding[] {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const server of config.servers) {
    const address = formatAddress(server);
    if (seen.has(address)) {
      findings.push({
        code: 'DUPLICATE_SERVER',
        server: address,
        message: `${address} is listed twice: it gets a double share of keys, and other clients may list it once`,
      });
    }
    seen.add(address);
  }
  return findings;
}

function weightWarnings(config: ResolvedConfig<Value, Value>): Finding[] {
  const weighted = config.servers.filter((server) => server.weight !== 1);
  if (weighted.length === 0) return [];
  return [
    {
      code: 'WEIGHTS',
      message:
        `weights (${weighted.map(describeServer).join(', ')}) shape the ring under libmemcached's weighted ketama ` +
        `(pylibmc "ketama_weighted", php-memcached OPT_LIBKETAMA_COMPATIBLE); clients that ignore weights, such as ` +
        `memjs or a list written without them, send keys to other servers`,
    },
  ];
}

function hostnameWarnings(config: ResolvedConfig<Value, Value>): Finding[] {
  // The ring hashes "host:port" as written (libmemcached does too), so a name and its address
  // place keys on different servers.
  const named = config.servers.filter((server) => isIP(server.host) === 0);
  return named.map((server) => {
    const address = formatAddress(server);
    const other = server.host === 'localhost' ? `127.0.0.1:${server.port}` : 'its IP address';
    return {
      code: 'HOSTNAME_HASHING',
      server: address,
      message: `${address}: the ring hashes the host as written, so every client sharing this cache must list "${address}", not ${other}, with the servers in the same order`,
    };
  });
}

/** Two entries that are one server under different names: each name gets its own share of the ring. */
async function sameAddress(config: ResolvedConfig<Value, Value>): Promise<Finding[]> {
  const byAddress = new Map<string, string[]>();
  await Promise.all(
    config.servers.map(async (server) => {
      const entry = formatAddress(server);
      const addresses =
        isIP(server.host) !== 0
          ? [server.host]
          : await lookup(server.host, { all: true }).then(
              (found) => found.map((item) => item.address),
              () => [],
            );
      for (const address of new Set(addresses)) {
        const key = `${address}|${server.port}`;
        byAddress.set(key, [...(byAddress.get(key) ?? []), entry]);
      }
    }),
  );
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const entries of byAddress.values()) {
    const names = [...new Set(entries)];
    const key = names.sort().join(' ');
    if (names.length < 2 || reported.has(key)) continue;
    reported.add(key);
    findings.push({
      code: 'DUPLICATE_SERVER',
      message: `${names.join(' and ')} are the same server under different names: keep one spelling`,
    });
  }
  return findings;
}

/** The usual cause of a failure, said in terms of the configuration the operator can change. */
export function hintFor(
  error: { code: string; syscallCode?: string | undefined },
  resolvedSources: ResolvedConfig<Value, Value>['sources'],
): string | undefined {
  const sources = Object.fromEntries(
    Object.entries(resolvedSources).map(([name, source]) => [name, describeSource(source)]),
  ) as typeof resolvedSources;
  // Codes and the system's own error code only: messages are for people and may change.
  switch (error.code) {
    case ErrorCodes.AUTH_REQUIRED:
      return 'the server requires a login: set MEMCACHE_USERNAME and MEMCACHE_PASSWORD, or use a memcache://user:pass@host URL';
    case ErrorCodes.AUTH:
      return `check the username (${sources.username}), the password (${sources.password}) and the auth dialect (${sources.authDialect})`;
    case ErrorCodes.TIMEOUT:
      return 'no answer in time: a firewall may be dropping packets, the host may be wrong, or the server is overloaded (--timeout raises the limit)';
    case ErrorCodes.CONNECTION:
      return connectionHint(error.syscallCode, sources.servers);
    default:
      return undefined;
  }
}

function connectionHint(syscallCode: string | undefined, servers: string): string | undefined {
  if (syscallCode === 'ECONNREFUSED') {
    return `nothing accepts connections there: is memcached running on that host and port (${servers})?`;
  }
  if (syscallCode === 'ENOTFOUND' || syscallCode === 'EAI_AGAIN') {
    return `the host name does not resolve: check its spelling (${servers})`;
  }
  return undefined;
}
