import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { ANSI, assertBuilt, CLI, cleanEnv, parseJson, runCli } from './helpers.js';

let server: MemcachedServer;
beforeAll(async () => {
  assertBuilt();
  server = await startMemcached();
});
afterAll(() => server?.stop());

/**
 * Runs memwire on a pseudo-terminal with util-linux `script`, which is how a person sees it: stdout
 * and stderr are then a TTY.
 */
async function runOnTerminal(args: string[], env: Record<string, string> = {}): Promise<string> {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const { stdout } = await promisify(execFile)('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: cleanEnv({ TERM: 'xterm-256color', ...env }),
    timeout: 15_000,
  });
  return stdout;
}
const hasScript = existsSync('/usr/bin/script');

describe('colours', () => {
  test('on a terminal, tables and errors are coloured', { skip: !hasScript }, async () => {
    const output = await runOnTerminal(['doctor', '--servers', server.address]);
    expect(output).toMatch(ANSI);
  });

  test('NO_COLOR turns them off, even on a terminal', { skip: !hasScript }, async () => {
    const output = await runOnTerminal(['doctor', '--servers', server.address], { NO_COLOR: '1' });
    expect(output).toContain('Configuration');
    expect(output).not.toMatch(ANSI);
  });

  test('--no-color turns them off, even on a terminal', { skip: !hasScript }, async () => {
    const output = await runOnTerminal(['stats', '--no-color', '--servers', server.address]);
    expect(output).toContain('hit ratio');
    expect(output).not.toMatch(ANSI);
  });

  test('--json is never coloured, even on a terminal', { skip: !hasScript }, async () => {
    const output = await runOnTerminal(['doctor', '--json', '--servers', server.address]);
    expect(output).toContain('"ok": true');
    expect(output).not.toMatch(ANSI);
  });

  test('FORCE_COLOR=1 colours a pipe, even with NO_COLOR (as Node itself does)', async () => {
    const envs: Record<string, string>[] = [
      { FORCE_COLOR: '1' },
      { FORCE_COLOR: '' },
      { FORCE_COLOR: '3', NO_COLOR: '1' },
    ];
    for (const env of envs) {
      const run = await runCli(['stats', '--servers', server.address], { env });
      expect(run.stdout).toContain('hit ratio');
      expect(run.stdout).toMatch(ANSI);
    }
  });

  test('FORCE_COLOR=0 turns them off, even on a terminal', { skip: !hasScript }, async () => {
    const output = await runOnTerminal(['doctor', '--servers', server.address], { FORCE_COLOR: '0' });
    expect(output).toContain('Configuration');
    expect(output).not.toMatch(ANSI);
  });

  test('--no-color and --json win over FORCE_COLOR', async () => {
    for (const flag of ['--no-color', '--json']) {
      const run = await runCli(['stats', flag, '--servers', server.address], { env: { FORCE_COLOR: '1' } });
      expect(run.stdout).not.toBe('');
      expect(run.stdout + run.stderr).not.toMatch(ANSI);
    }
  });

  test('when stdout is not a terminal (a pipe), nothing is coloured', async () => {
    for (const args of [
      ['doctor'],
      ['stats'],
      ['get', 'nothing:here'],
      ['flush'],
      ['bench', '--ops', '100'],
    ]) {
      const run = await runCli([...args, '--servers', server.address]);
      expect(run.stdout + run.stderr).not.toMatch(ANSI);
    }
  });
});

describe('errors and exit codes', () => {
  test('an unknown command exits 2 with a usage error', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("ERR_MEMWIRE_USAGE unknown command 'frobnicate'");
  });

  test('under --json a usage error is a JSON document on stdout', async () => {
    const run = await runCli(['get', '--json']);
    expect(run.code).toBe(2);
    expect(parseJson(run)).toEqual({
      error: {
        code: 'ERR_MEMWIRE_USAGE',
        message: expect.stringContaining("missing required argument 'key'"),
      },
    });
  });

  test('under --json a failure carries its code and server', async () => {
    const run = await runCli(['get', 'k', '--json', '--servers', '127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(parseJson(run)).toEqual({
      error: { code: 'ERR_MEMWIRE_CONNECTION', message: expect.any(String), server: '127.0.0.1:1' },
    });
  });

  test('a malformed --servers exits 3 with ERR_MEMWIRE_CONFIG', async () => {
    const run = await runCli(['get', 'k', '--servers', 'host:99999']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ERR_MEMWIRE_CONFIG');
  });

  test('a password in a --url never appears in an error', async () => {
    const run = await runCli(['get', 'k', '--url', 'memcache://user:hunter2-secret@127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ERR_MEMWIRE_CONNECTION');
    expect(run.stderr).not.toContain('hunter2');
  });

  test('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['doctor', 'stats', 'get', 'set', 'delete', 'touch', 'incr', 'flush', 'bench']) {
      expect(help.stdout).toContain(command);
    }
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});
