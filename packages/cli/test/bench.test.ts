import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { assertBuilt, parseJson, runCli } from './helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  assertBuilt();
  server = await startMemcached();
});
afterAll(() => server?.stop());

describe('bench', () => {
  test('--json reports ops/s and p50/p99 latency per command', async () => {
    const run = await runCli([
      'bench',
      '--json',
      '--ops',
      '2000',
      '--keys',
      '100',
      '--servers',
      server.address,
    ]);
    expect(run.code).toBe(0);
    const result = parseJson(run);
    const latency = { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) };
    expect(result).toEqual({
      ops: 2000,
      errors: 0,
      durationMs: expect.any(Number),
      opsPerSecond: expect.any(Number),
      latencyMs: latency,
      get: { ops: 1800, hits: 1800, latencyMs: latency },
      set: { ops: 200, latencyMs: latency },
      settings: { ops: 2000, durationSeconds: 10, concurrency: 32, size: 100, keys: 100, writes: 10 },
      servers: [server.address],
    });
    expect(result['opsPerSecond']).toBeGreaterThan(0);
    // No progress bar outside a terminal, and nothing else on stderr.
    expect(run.stderr).toBe('');
  });

  test('deletes the keys it wrote', async () => {
    await runCli(['bench', '--json', '--ops', '200', '--keys', '10', '--servers', server.address]);
    const get = await runCli([
      'get',
      'memwire:bench:0',
      'memwire:bench:9',
      '--json',
      '--servers',
      server.address,
    ]);
    expect(parseJson(get)).toMatchObject({ hits: 0, misses: 2 });
  });

  test('prints a summary a person reads', async () => {
    const run = await runCli(['bench', '--ops', '500', '--writes', '50', '--servers', server.address]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/[\d,]+ ops\/s · 500 ops in/);
    expect(run.stdout).toMatch(/get\s+│\s+250\s+│/);
    expect(run.stdout).toContain('p99');
  });

  test('bad settings exit 2 before anything is sent', async () => {
    const run = await runCli(['bench', '--writes', '150', '--servers', server.address]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--writes');
  });
});
