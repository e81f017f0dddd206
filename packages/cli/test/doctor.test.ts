import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { assertBuilt, parseJson, runCli } from './helpers.js';

interface Setting {
  value: unknown;
  source: string;
}
interface Report {
  ok: boolean;
  config: Record<string, Setting>;
  servers: {
    server: string;
    ok: boolean;
    version: string | null;
    protocol: string | null;
    login: string;
    latencyMs: { median: number } | null;
    probe: { set: boolean; get: boolean; delete: boolean } | null;
    stats: { hitRatio: number | null; evictions: number; bytes: number; limitBytes: number } | null;
    error: { code: string; step: string } | null;
  }[];
  problems: { code: string; server?: string; message: string; hint?: string }[];
  warnings: { code: string; message: string }[];
}

const USER = 'alice';
// memcached -Y compares the password as one token: no spaces.
const PASSWORD = 'correct-horse-battery-staple';

let plain: MemcachedServer;
let withAuth: MemcachedServer;
beforeAll(async () => {
  assertBuilt();
  [plain, withAuth] = await Promise.all([
    startMemcached(),
    startMemcached({ auth: { username: USER, password: PASSWORD } }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), withAuth?.stop()]);
});

describe('doctor on a healthy server', () => {
  test('exits 0 and reports version, round trip, the probe, hit ratio, evictions and memory', async () => {
    const run = await runCli(['doctor', '--servers', plain.address, '--json']);
    expect(run.code).toBe(0);
    const report = parseJson<Report>(run);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    const [server] = report.servers;
    expect(server).toMatchObject({ server: plain.address, ok: true, login: 'none', error: null });
    expect(server!.version).toMatch(/^\d+\.\d+/);
    // memcached 1.6.18 answers the meta commands.
    expect(server!.protocol).toBe('meta');
    expect(server!.latencyMs!.median).toBeGreaterThan(0);
    expect(server!.probe).toEqual({ set: true, get: true, delete: true });
    expect(server!.stats).toMatchObject({ evictions: 0 });
    expect(server!.stats!.limitBytes).toBeGreaterThan(0);
  });

  test('prints a readable report naming the source of each setting', async () => {
    const run = await runCli(['doctor', '--servers', plain.address]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Configuration, as the client reads it');
    expect(run.stdout).toMatch(new RegExp(`servers\\s+│ ${plain.address}\\s+│ --servers`));
    expect(run.stdout).toContain('✔ 1 server OK');
    expect(run.stdout).toMatch(/1\.6\.\d+ \(meta\)/);
  });

  test('reads MEMCACHE_SERVERS when no flag is given', async () => {
    const run = await runCli(['doctor', '--json'], { env: { MEMCACHE_SERVERS: plain.address } });
    expect(run.code).toBe(0);
    expect(parseJson<Report>(run).config['servers']).toEqual({
      value: [plain.address],
      source: 'MEMCACHE_SERVERS',
    });
  });

  test('--servers wins over the environment, as an explicit option does in the client', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await runCli(['doctor', '--json', '--servers', plain.address], {
      env: { MEMCACHE_SERVERS: dead },
    });
    expect(run.code).toBe(0);
    expect(parseJson<Report>(run).config['servers']).toEqual({ value: [plain.address], source: '--servers' });
  });
});

describe('doctor when something is wrong', () => {
  test('a dead server exits 1 with its code and a hint, and the other servers are still checked', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await runCli(['doctor', '--servers', `${plain.address},${dead}`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`ERR_MEMWIRE_CONNECTION: connection to ${dead} failed`);
    expect(run.stdout).toContain('is memcached running');
    expect(run.stdout).toContain(`✔ ${plain.address}`);
    expect(run.stdout).toContain(`✖ ${dead}`);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('the JSON report names the failed server and step', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await runCli(['doctor', '--json', '--servers', dead]);
    expect(run.code).toBe(1);
    const report = parseJson<Report>(run);
    expect(report.ok).toBe(false);
    expect(report.servers[0]!.error).toMatchObject({ code: 'ERR_MEMWIRE_CONNECTION', step: 'connect' });
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'ERR_MEMWIRE_CONNECTION', server: dead, hint: expect.any(String) }),
    ]);
  });

  test('a malformed MEMCACHE_SERVERS exits 3 naming the variable', async () => {
    const run = await runCli(['doctor'], { env: { MEMCACHE_SERVERS: 'cache:notaport' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ERR_MEMWIRE_CONFIG');
    expect(run.stderr).toContain('MEMCACHE_SERVERS');
  });
});

describe('doctor with credentials from the environment', () => {
  const env = () => ({
    MEMCACHE_SERVERS: withAuth.address,
    MEMCACHE_USERNAME: USER,
    MEMCACHE_PASSWORD: PASSWORD,
  });

  test('logs in to memcached -Y, shows each variable it read, and masks the password', async () => {
    const run = await runCli(['doctor'], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/username\s+│ alice\s+│ MEMCACHE_USERNAME/);
    expect(run.stdout).toMatch(/password\s+│ \*{8}\s+│ MEMCACHE_PASSWORD/);
    expect(run.stdout).toMatch(/servers\s+│ [\d.:]+\s+│ MEMCACHE_SERVERS/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stdout).not.toContain('horse');
  });

  test('the JSON report gives the sources and never the password', async () => {
    const run = await runCli(['doctor', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const report = parseJson<Report>(run);
    expect(report.config['username']).toEqual({ value: USER, source: 'MEMCACHE_USERNAME' });
    expect(report.config['password']).toEqual({ value: '********', source: 'MEMCACHE_PASSWORD' });
    expect(report.servers[0]).toMatchObject({ ok: true, login: 'ok' });
    expect(run.stdout).not.toContain(PASSWORD);
  });

  test('MEMCACHIER_* variables win over MEMCACHE_*, and the report says so', async () => {
    const run = await runCli(['doctor', '--json'], {
      env: { ...env(), MEMCACHIER_USERNAME: USER, MEMCACHIER_PASSWORD: PASSWORD, MEMCACHE_PASSWORD: 'stale' },
    });
    expect(run.code).toBe(0);
    const report = parseJson<Report>(run);
    expect(report.config['username']!.source).toBe('MEMCACHIER_USERNAME');
    expect(report.config['password']!.source).toBe('MEMCACHIER_PASSWORD');
  });

  test('a wrong password exits 1 with ERR_MEMWIRE_AUTH and prints neither password', async () => {
    const wrong = 'not-the-password-42';
    const run = await runCli(['doctor'], { env: { ...env(), MEMCACHE_PASSWORD: wrong } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ERR_MEMWIRE_AUTH');
    expect(run.stdout).toContain('MEMCACHE_PASSWORD'); // the hint says where to look
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  test('a server that requires a login, with no credentials configured, exits 1 saying what to set', async () => {
    const run = await runCli(['doctor', '--json', '--servers', withAuth.address]);
    expect(run.code).toBe(1);
    const report = parseJson<Report>(run);
    expect(report.servers[0]).toMatchObject({ login: 'missing', error: { step: 'login' } });
    expect(report.problems[0]!.hint).toContain('MEMCACHE_USERNAME');
  });

  test('credentials sent to a server without authentication are flagged: it stored them as an item', async () => {
    const run = await runCli(['doctor', '--json'], { env: { ...env(), MEMCACHE_SERVERS: plain.address } });
    expect(run.code).toBe(0);
    const report = parseJson<Report>(run);
    expect(report.warnings.map((warning) => warning.code)).toContain('LOGIN_NOT_CHECKED');
    expect(run.stdout).not.toContain(PASSWORD);
    const strict = await runCli(['doctor', '--strict'], {
      env: { ...env(), MEMCACHE_SERVERS: plain.address },
    });
    expect(strict.code).toBe(1);
  });
});

describe('doctor warnings about how other clients hash the servers', () => {
  test('localhost next to 127.0.0.1, and weights, are warned about; --strict turns warnings into exit 1', async () => {
    const servers = `127.0.0.1:${plain.port},localhost:${plain.port}:2`;
    const run = await runCli(['doctor', '--json', '--servers', servers]);
    expect(run.code).toBe(0);
    const codes = parseJson<Report>(run).warnings.map((warning) => warning.code);
    expect(codes).toEqual(expect.arrayContaining(['HOSTNAME_HASHING', 'WEIGHTS', 'DUPLICATE_SERVER']));
    const strict = await runCli(['doctor', '--strict', '--servers', servers]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain(`not 127.0.0.1:${plain.port}`);
  });
});
