import type { ResolvedConfig, Value } from '@memwire/core';
import { describeServer, describeSource } from '../config.js';

/** Shown instead of a password or token: whether one is set, never its length or a single character. */
export const MASK = '********';

/** One setting as the client resolved it, and the flag or variable it came from ("default" if none). */
export interface Setting<T> {
  value: T;
  source: string;
}

/** The connection settings exactly as `createClient()` would use them, secrets masked. */
export interface ConfigReport {
  servers: Setting<string[]>;
  username: Setting<string | null>;
  password: Setting<string | null>;
  tls: Setting<boolean>;
  authDialect: Setting<string>;
  /** IronCache credentials (from `IRON_*`), the token masked. */
  ironcache: Setting<{ projectId: string; cacheName: string; token: string } | null>;
  /** How keys are spread over the servers (the CLI uses the client's defaults). */
  distribution: Setting<string>;
  hash: Setting<string>;
}

export function describeConfig(config: ResolvedConfig<Value, Value>): ConfigReport {
  const { sources, credentials } = config;
  const password = credentials?.kind === 'password' ? credentials : undefined;
  const iron = credentials?.kind === 'ironcache' ? credentials : undefined;
  return {
    servers: { value: config.servers.map(describeServer), source: describeSource(sources.servers) },
    username: { value: password?.username ?? null, source: describeSource(sources.username) },
    password: { value: password === undefined ? null : MASK, source: describeSource(sources.password) },
    tls: { value: config.tls !== undefined, source: describeSource(sources.tls) },
    authDialect: { value: config.authDialect, source: describeSource(sources.authDialect) },
    ironcache: {
      value:
        iron === undefined ? null : { projectId: iron.projectId, cacheName: iron.cacheName, token: MASK },
      source: iron === undefined ? 'default' : 'IRON_TOKEN, IRON_PROJECT_ID, IRON_CACHE',
    },
    distribution: { value: config.distribution, source: 'default' },
    hash: { value: config.hash, source: 'default' },
  };
}
