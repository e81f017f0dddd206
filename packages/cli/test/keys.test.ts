import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { assertBuilt, parseJson, runCli } from './helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  assertBuilt();
  server = await startMemcached();
});
afterAll(() => server?.stop());

/** `memwire ARGS… --servers <test server>` */
const cli = (args: string[], input?: string | Buffer) =>
  runCli([...args, '--servers', server.address], input === undefined ? {} : { input });
const key = () => `cli:${randomUUID()}`;

describe('set and get', () => {
  test('get prints a stored string as is', async () => {
    const k = key();
    const set = await cli(['set', k, 'hello world', '--ttl', '60']);
    expect(set).toMatchObject({ code: 0, stdout: 'stored\n' });
    const get = await cli(['get', k]);
    expect(get).toMatchObject({ code: 0, stdout: 'hello world\n' });
  });

  test('a miss prints nothing on stdout, says so on stderr, and exits 4', async () => {
    const k = key();
    const get = await cli(['get', k]);
    expect(get).toMatchObject({ code: 4, stdout: '' });
    expect(get.stderr).toContain(`${k}: not found`);
  });

  test('--json gives each key with its type', async () => {
    const k = key();
    await cli(['set', k, '{"n":1,"list":[true,null]}', '--type', 'json']);
    const get = await cli(['get', k, 'cli:absent', '--json']);
    expect(get.code).toBe(4);
    expect(parseJson(get)).toEqual({
      hits: 1,
      misses: 1,
      results: [
        { key: k, hit: true, type: 'json', value: { n: 1, list: [true, null] } },
        { key: 'cli:absent', hit: false },
      ],
    });
  });

  test('set --json reports the outcome and the TTL', async () => {
    const k = key();
    const set = await cli(['set', k, 'v', '--ttl', '30', '--json']);
    expect(set.code).toBe(0);
    expect(parseJson(set)).toEqual({ key: k, stored: true, ttl: 30 });
  });

  test('set reads the value from stdin when it is "-"', async () => {
    const k = key();
    expect((await cli(['set', k, '-'], 'line one\nline two\n')).code).toBe(0);
    expect((await cli(['get', k])).stdout).toBe('line one\nline two\n');
  });

  test('several keys print a table of values and misses', async () => {
    const [a, b] = [key(), key()];
    await cli(['set', a, 'alpha']);
    const get = await cli(['get', a, b]);
    expect(get.code).toBe(4);
    expect(get.stdout).toMatch(new RegExp(`${a}\\s+│ alpha`));
    expect(get.stdout).toMatch(new RegExp(`${b}\\s+│ \\(miss\\)`));
  });

  test('bytes that are not UTF-8 come back as base64 in --json', async () => {
    const k = key();
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a]);
    await cli(['set', k, '-', '--type', 'bytes'], bytes);
    const get = await cli(['get', k, '--json']);
    const [result] = (parseJson(get) as { results: unknown[] }).results;
    expect(result).toEqual({
      key: k,
      hit: true,
      type: 'bytes',
      value: bytes.toString('base64'),
      encoding: 'base64',
    });
  });

  test('a key memcached would refuse exits 2 with ERR_MEMWIRE_INVALID_KEY; nothing is sent', async () => {
    const run = await cli(['set', 'two words', 'v']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ERR_MEMWIRE_INVALID_KEY');
  });
});

describe('delete, touch, incr', () => {
  test('delete exits 0 when the key existed and 4 when it did not', async () => {
    const k = key();
    await cli(['set', k, 'v']);
    expect(await cli(['delete', k])).toMatchObject({ code: 0, stdout: `${k}: deleted\n` });
    expect(await cli(['delete', k])).toMatchObject({ code: 4, stdout: `${k}: not found\n` });
  });

  test('delete --json reports every key', async () => {
    const [a, b] = [key(), key()];
    await cli(['set', a, 'v']);
    const run = await cli(['delete', a, b, '--json']);
    expect(run.code).toBe(4);
    expect(parseJson(run)).toEqual({
      deleted: 1,
      missing: 1,
      results: [
        { key: a, deleted: true },
        { key: b, deleted: false },
      ],
    });
  });

  test('touch sets a TTL on an existing key and exits 4 on a missing one', async () => {
    const k = key();
    await cli(['set', k, 'v']);
    expect(parseJson(await cli(['touch', k, '120', '--json']))).toEqual({ key: k, touched: true, ttl: 120 });
    expect((await cli(['touch', key(), '120'])).code).toBe(4);
  });

  test('touch with TTL 1 makes the key expire', async () => {
    const k = key();
    await cli(['set', k, 'v']);
    await cli(['touch', k, '1']);
    // memcached's clock ticks in whole seconds, so 1 s may take up to 2 to pass.
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect((await cli(['get', k])).code).toBe(4);
  });

  test('incr adds to a number and prints it; decr subtracts', async () => {
    const k = key();
    await cli(['set', k, '41']);
    expect(await cli(['incr', k])).toMatchObject({ code: 0, stdout: '42\n' });
    expect(parseJson(await cli(['incr', k, '8', '--json']))).toEqual({ key: k, value: 50 });
    expect((await cli(['decr', k, '10'])).stdout).toBe('40\n');
  });

  test('incr past 2^53 stays exact (a decimal string in --json)', async () => {
    const k = key();
    await cli(['set', k, '18446744073709551610']);
    expect(parseJson(await cli(['incr', k, '3', '--json']))).toEqual({
      key: k,
      value: '18446744073709551613',
    });
  });

  test('incr of a missing key exits 4; a bad delta exits 2', async () => {
    expect(parseJson(await cli(['incr', key(), '--json']))).toEqual({ key: expect.any(String), value: null });
    expect((await cli(['incr', key(), '-5'])).code).toBe(2);
    expect((await cli(['incr', key(), 'abc'])).code).toBe(2);
  });

  test('incr of a value that is not a number shows the server refusal with its code', async () => {
    const k = key();
    await cli(['set', k, 'text']);
    const run = await cli(['incr', k]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ERR_MEMWIRE_CLIENT_ERROR');
  });
});

describe('flush', () => {
  test('refuses without --yes, exits 2 and leaves every item in place', async () => {
    const k = key();
    await cli(['set', k, 'kept']);
    const run = await cli(['flush']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--yes');
    expect(run.stderr).toContain(server.address);
    expect((await cli(['get', k])).stdout).toBe('kept\n');
  });

  test('the refusal under --json is a JSON error on stdout', async () => {
    const run = await cli(['flush', '--json']);
    expect(run.code).toBe(2);
    expect(parseJson(run)).toEqual({
      error: { code: 'ERR_MEMWIRE_USAGE', message: expect.stringContaining('--yes') },
    });
  });

  test('with --yes every item is gone', async () => {
    const k = key();
    await cli(['set', k, 'v']);
    const run = await cli(['flush', '--yes', '--json']);
    expect(run.code).toBe(0);
    expect(parseJson(run)).toEqual({ flushed: [server.address], delaySeconds: 0 });
    expect((await cli(['get', k])).code).toBe(4);
  });
});

describe('configuration', () => {
  test('--url gives the servers, overriding MEMCACHE_SERVERS', async () => {
    const k = key();
    const env = { MEMCACHE_SERVERS: '127.0.0.1:1' };
    const set = await runCli(['set', k, 'via url', '--url', `memcache://${server.address}`], { env });
    expect(set.code).toBe(0);
    const get = await runCli(['get', k], { env: { MEMCACHE_SERVERS: server.address } });
    expect(get.stdout).toBe('via url\n');
  });

  test('a dead server fails with ERR_MEMWIRE_CONNECTION and exit 1, without a stack trace', async () => {
    const run = await runCli(['get', 'k', '--servers', '127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error ERR_MEMWIRE_CONNECTION connection to 127\.0\.0\.1:1 failed/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
