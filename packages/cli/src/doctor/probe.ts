import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type Client,
  ConnectionError,
  type Credentials,
  ErrorCodes,
  type StatsSummary,
  summarizeStats,
} from '@memwire/core';
import { describeError } from '../output.js';
import type { Finding } from './findings.js';

/** How many `version` round trips the latency figures are taken from. */
const ROUND_TRIPS = 5;

/** What `doctor` learned about one server. */
export interface ServerReport {
  server: string;
  ok: boolean;
  version: string | null;
  /**
   * The protocol memwire speaks to it for the commands that have a meta form (`ttl`, `getLease`, the
   * quiet batches of setMany/deleteMany): `meta` when it answers memcached 1.6's meta commands.
   */
  protocol: 'meta' | 'classic' | null;
  /** The first command: connect, login and one round trip, in ms. */
  connectMs: number | null;
  /** `version` round trips on the open connection, in ms. */
  latencyMs: { min: number; median: number; max: number } | null;
  /**
   * `none` without credentials; `missing` when the server wants a login and none is configured;
   * `not reached` when the connection failed first.
   */
  login: 'none' | 'ok' | 'refused' | 'missing' | 'not reached';
  /** The set/get/delete of a throwaway key, each true when it behaved. */
  probe: { set: boolean; get: boolean; delete: boolean } | null;
  stats: StatsSummary | null;
  /**
   * The failure that stopped the checks, and at which step; `syscallCode` is the system's code of a
   * connection failure (`ECONNREFUSED`, `ENOTFOUND`, …), when there is one.
   */
  error: {
    code: string;
    message: string;
    step: 'connect' | 'login' | 'probe' | 'stats';
    syscallCode?: string;
  } | null;
}

/**
 * Checks one server step by step, stopping at the first failure: connect and log in, time a few round
 * trips, write, read back and delete a throwaway key, read its stats.
 */
export async function probeServer(
  server: string,
  client: Client,
  credentials: Credentials | undefined,
): Promise<{ report: ServerReport; warnings: Finding[] }> {
  const warnings: Finding[] = [];
  const report: ServerReport = {
    server,
    ok: false,
    version: null,
    protocol: null,
    connectMs: null,
    latencyMs: null,
    login: credentials === undefined ? 'none' : 'not reached',
    probe: null,
    stats: null,
    error: null,
  };
  let step: 'connect' | 'stats' | 'probe' = 'connect';
  try {
    const started = performance.now();
    report.version = (await client.version()).get(server) ?? null;
    report.connectMs = round(performance.now() - started);
    if (credentials !== undefined) report.login = 'ok';
    report.protocol = (await client.protocols()).get(server) ?? null;
    report.latencyMs = await roundTrips(client);
    // Stats before the probe, so the hit ratio is the applications' and not the doctor's own gets.
    step = 'stats';
    report.stats = summarizeStats((await client.stats()).get(server) ?? {});
    if (report.stats.evictions > 0) {
      warnings.push({
        code: 'EVICTIONS',
        server,
        message: `${server} has evicted ${report.stats.evictions} items since it started: it has been full, so give it more memory (-m) if the hit ratio suffers`,
      });
    }
    step = 'probe';
    const probe = await setGetDelete(client);
    report.probe = probe;
    if (credentials !== undefined) warnings.push(...(await loginStoredAsItem(server, client, credentials)));
    report.ok = probe.set && probe.get && probe.delete;
    if (!report.ok) {
      const failed = (['set', 'get', 'delete'] as const).filter((name) => !probe[name]);
      report.error = {
        code: 'PROBE_FAILED',
        message: `the ${failed.join(', ')} of a test key did not behave (${describeProbe(probe)})`,
        step: 'probe',
      };
    }
  } catch (error) {
    const { code, message } = describeError(error);
    // ERR_MEMWIRE_AUTH_REQUIRED: memcached -Y refused a command of a connection that had not logged
    // in (no credentials); ERR_MEMWIRE_AUTH: it refused the credentials given.
    if (code === ErrorCodes.AUTH) report.login = 'refused';
    if (code === ErrorCodes.AUTH_REQUIRED) report.login = 'missing';
    const loginFailed = code === ErrorCodes.AUTH || code === ErrorCodes.AUTH_REQUIRED;
    report.error = { code, message, step: loginFailed ? 'login' : step };
    if (error instanceof ConnectionError && error.syscallCode !== undefined) {
      report.error.syscallCode = error.syscallCode;
    }
  }
  return { report, warnings };
}

async function roundTrips(client: Client): Promise<{ min: number; median: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = performance.now();
    await client.version();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (i: number) => round(times[i]!);
  return { min: at(0), median: at(Math.floor(times.length / 2)), max: at(times.length - 1) };
}

/** Microsecond precision: finer figures are noise. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A unique key with a short TTL, so a probe interrupted halfway leaves nothing behind for long. */
async function setGetDelete(client: Client): Promise<{ set: boolean; get: boolean; delete: boolean }> {
  const key = `memwire:doctor:${randomUUID()}`;
  const value = `memwire doctor ${new Date().toISOString()}`;
  const set = await client.set(key, value, { ttl: 60 });
  const get = set && (await client.get(key)) === value;
  const deleted = set && (await client.delete(key));
  return { set, get, delete: deleted };
}

function describeProbe(probe: { set: boolean; get: boolean; delete: boolean }): string {
  return `set ${probe.set ? 'stored' : 'not stored'}, get ${probe.get ? 'read it back' : 'did not read it back'}, delete ${probe.delete ? 'deleted' : 'found nothing'}`;
}

/**
 * A server without authentication answers the pseudo-set login with STORED: the "login" succeeds and
 * the credentials sit in the cache as an ordinary item anyone can read. Reading the login key back
 * shows it (the value is compared, never printed).
 */
async function loginStoredAsItem(
  server: string,
  client: Client,
  credentials: Credentials,
): Promise<Finding[]> {
  const [key, forms] =
    credentials.kind === 'password'
      ? [credentials.username, [credentials.password, `${credentials.username} ${credentials.password}`]]
      : ['oauth', [`${credentials.token} ${credentials.projectId} ${credentials.cacheName}`]];
  const stored = await client.get(key);
  if (typeof stored !== 'string' || !forms.includes(stored)) return [];
  return [
    {
      code: 'LOGIN_NOT_CHECKED',
      server,
      message: `${server} does not require a login: it stored the credentials as the item "${key}", readable by anyone who can reach it. Remove the credentials from the configuration, or turn on authentication on the server (memcached -Y)`,
    },
  ];
}
