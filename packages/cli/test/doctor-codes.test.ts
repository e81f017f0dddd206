import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { assertBuilt, parseJson, runCli } from './helpers.js';

interface Report {
  ok: boolean;
  config: Record<string, { value: unknown; source: string }>;
  servers: {
    server: string;
    login: string;
    error: { code: string; step: string; syscallCode?: string } | null;
  }[];
  problems: { code: string; server?: string; message: string; hint?: string }[];
}

const USER = 'app';
const PASSWORD = 'S3cr3tPW-41aa';

let withAuth: MemcachedServer;
beforeAll(async () => {
  assertBuilt();
  withAuth = await startMemcached({ auth: { username: USER, password: PASSWORD } });
});
afterAll(() => withAuth?.stop());

describe('doctor never prints a password it could not parse', () => {
  test.each([
    ["memjs's user:pass@host with a bad port", `${USER}:${PASSWORD}@cache.example:port`],
    ['a misspelt scheme', `memcachd://${USER}:${PASSWORD}@cache.example:11211`],
  ])('%s in MEMCACHE_SERVERS exits 3, masked, with and without --json', async (_name, servers) => {
    for (const args of [['doctor'], ['doctor', '--json']]) {
      const run = await runCli(args, { env: { MEMCACHE_SERVERS: servers } });
      expect(run.code).toBe(3);
      expect(run.stdout + run.stderr).toContain('ERR_MEMWIRE_CONFIG');
      expect(run.stdout + run.stderr).toContain(`${USER}:***@cache.example`);
      expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    }
  });

  test("memjs's MEMCACHE_SERVERS=user:pass@host:port logs in, and the report names it as the source", async () => {
    const run = await runCli(['doctor', '--json'], {
      env: { MEMCACHE_SERVERS: `${USER}:${PASSWORD}@${withAuth.address}` },
    });
    expect(run.code).toBe(0);
    const report = parseJson<Report>(run);
    expect(report.servers[0]).toMatchObject({ server: withAuth.address, login: 'ok' });
    expect(report.config['username']).toEqual({ value: USER, source: 'MEMCACHE_SERVERS' });
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});

describe('doctor reads error codes, not messages', () => {
  test('a server that wants a login none was given: ERR_MEMWIRE_AUTH_REQUIRED, login "missing"', async () => {
    const run = await runCli(['doctor', '--json', '--servers', withAuth.address]);
    expect(run.code).toBe(1);
    const report = parseJson<Report>(run);
    expect(report.servers[0]).toMatchObject({
      login: 'missing',
      error: { code: 'ERR_MEMWIRE_AUTH_REQUIRED', step: 'login' },
    });
    expect(report.problems[0]).toMatchObject({ code: 'ERR_MEMWIRE_AUTH_REQUIRED' });
    expect(report.problems[0]!.hint).toContain('MEMCACHE_USERNAME');
  });

  test('a wrong password is "refused" with ERR_MEMWIRE_AUTH, not "missing"', async () => {
    const run = await runCli(['doctor', '--json'], {
      env: { MEMCACHE_SERVERS: withAuth.address, MEMCACHE_USERNAME: USER, MEMCACHE_PASSWORD: 'wrong-one' },
    });
    expect(run.code).toBe(1);
    const report = parseJson<Report>(run);
    expect(report.servers[0]).toMatchObject({
      login: 'refused',
      error: { code: 'ERR_MEMWIRE_AUTH', step: 'login' },
    });
    expect(report.problems[0]!.hint).toContain('MEMCACHE_PASSWORD');
  });

  test("a refused connection carries the system's code in the JSON report, and the hint follows it", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await runCli(['doctor', '--json', '--servers', dead]);
    expect(run.code).toBe(1);
    const report = parseJson<Report>(run);
    expect(report.servers[0]!.error).toMatchObject({
      code: 'ERR_MEMWIRE_CONNECTION',
      syscallCode: 'ECONNREFUSED',
      step: 'connect',
    });
    expect(report.problems[0]!.hint).toContain('is memcached running');
  });
});
