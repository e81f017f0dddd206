import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { assertBuilt, finished, parseJson, runCli, spawnCli, waitForOutput } from './helpers.js';

let a: MemcachedServer;
let b: MemcachedServer;
beforeAll(async () => {
  assertBuilt();
  [a, b] = await Promise.all([startMemcached(), startMemcached()]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

interface StatsJson {
  servers: ({ server: string; ok: boolean } & Record<string, unknown>)[];
  group?: string;
}

describe('stats', () => {
  test('prints one row per server with hit ratio, items, evictions, connections and memory', async () => {
    const run = await runCli(['stats', '--servers', `${a.address},${b.address}`]);
    expect(run.code).toBe(0);
    for (const title of ['server', 'hit ratio', 'items', 'evictions', 'conns', 'memory']) {
      expect(run.stdout).toContain(title);
    }
    expect(run.stdout).toContain(a.address);
    expect(run.stdout).toContain(b.address);
    expect(run.stdout).toContain('64.0 MiB');
  });

  test('--json gives each server its summary', async () => {
    await runCli(['set', 'stats:k', 'v', '--servers', a.address]);
    await runCli(['get', 'stats:k', '--servers', a.address]);
    const run = await runCli(['stats', '--json', '--servers', a.address]);
    expect(run.code).toBe(0);
    const [server] = parseJson<StatsJson>(run).servers;
    expect(server).toMatchObject({ server: a.address, ok: true, limitBytes: 64 * 1024 * 1024 });
    expect(server!['items']).toBeGreaterThanOrEqual(1);
    expect(server!['hits']).toBeGreaterThanOrEqual(1);
    expect(server!['hitRatio']).toBeGreaterThan(0);
    for (const field of ['evictions', 'connections', 'bytes', 'uptimeSeconds', 'version']) {
      expect(server).toHaveProperty(field);
    }
  });

  test('a group gives that group raw, a table per server', async () => {
    const run = await runCli(['stats', 'settings', '--servers', a.address]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/maxbytes\s+│\s+67108864/);
    const json = parseJson<StatsJson>(await runCli(['stats', 'settings', '--json', '--servers', a.address]));
    expect(json.group).toBe('settings');
    expect(json.servers[0]).toMatchObject({
      ok: true,
      stats: expect.objectContaining({ maxbytes: '67108864' }),
    });
  });

  test('a dead server is an error row while the others report; the exit status is 1', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await runCli(['stats', '--json', '--servers', `${a.address},${dead}`]);
    expect(run.code).toBe(1);
    const { servers } = parseJson<StatsJson>(run);
    expect(servers[0]).toMatchObject({ server: a.address, ok: true });
    expect(servers[1]).toMatchObject({ server: dead, ok: false, error: { code: 'ERR_MEMWIRE_CONNECTION' } });
  });
});

describe('stats --watch', () => {
  test('redraws until SIGINT, then exits 0', async () => {
    const child = spawnCli(['stats', '--watch', '--interval', '1', '--servers', a.address]);
    const frames = () => child.output.stdout.match(/memwire stats · /g)?.length ?? 0;
    await waitForOutput(child, () => frames() >= 2);
    child.kill('SIGINT');
    const run = await finished(child);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(frames()).toBeGreaterThanOrEqual(2);
  });

  test('ends quietly with status 0 when the reader of stdout goes away (| head -1)', async () => {
    const child = spawnCli(['stats', '--watch', '--interval', '1', '--servers', a.address]);
    await waitForOutput(child, (output) => output.stdout.includes('memwire stats · '));
    // What `head -1` does after its first line: close the pipe, so the next frame's write gets EPIPE.
    child.stdout?.destroy();
    const run = await finished(child);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  test('under --json each refresh is one JSON line', async () => {
    const child = spawnCli(['stats', '--watch', '--interval', '1', '--json', '--servers', a.address]);
    await waitForOutput(child, (output) => output.stdout.split('\n').length >= 3);
    child.kill('SIGINT');
    const run = await finished(child);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        time: expect.any(String),
        servers: [{ server: a.address, ok: true }],
      });
    }
  });
});
