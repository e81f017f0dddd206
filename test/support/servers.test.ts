import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import {
  type MemcachedServer,
  runningPids,
  ServerStartError,
  startMemcached,
  stopAllServers,
} from './servers/index.mjs';

const LIBRARY = new URL('./servers/index.mjs', import.meta.url).href;

/** Alive and not a zombie: an orphan may wait a moment for init to reap it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return !isAlive(pid);
}

/**
 * A plain node process that starts memcached through the library, prints its pid, and idles;
 * `handler` gives it a SIGTERM handler of its own that exits cleanly.
 */
/** The scripts a test started, ended by pid after each test even when it failed half-way. */
const scripts = new Set<ChildProcess>();

async function scriptWithMemcached(mode: 'no handler' | 'handler') {
  const script = `
    import { startMemcached } from ${JSON.stringify(LIBRARY)};
    let server;
    // As scripts/demo.mjs does: process.once, before the library starts anything, so the handler is gone by
    // the time the library's own listener would see it.
    const graceful = () => setTimeout(() => {
      console.log(server.pid && process.kill(server.pid, 0) ? 'memcached still up in the handler' : 'gone');
      process.exit(0);
    }, 50);
    if (process.argv[1] === 'handler') process.once('SIGTERM', graceful);
    server = await startMemcached();
    console.log('pid ' + server.pid);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  scripts.add(child);
  let output = '';
  child.stdout.setEncoding('utf8');
  const memcachedPid = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (text: string) => {
      output += text;
      const pid = /pid (\d+)/.exec(output)?.[1];
      if (pid !== undefined) resolve(Number(pid));
    });
    child.once('exit', () => reject(new Error(`script exited early: ${output}`)));
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, memcachedPid, exited, output: () => output };
}

afterEach(() => {
  for (const child of scripts) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGKILL');
    }
  }
  scripts.clear();
});
afterAll(() => stopAllServers());

describe('the server library', () => {
  test('a script killed by SIGTERM takes its memcached with it, and still dies of SIGTERM', async () => {
    const run = await scriptWithMemcached('no handler');
    expect(isAlive(run.memcachedPid)).toBe(true);
    run.child.kill('SIGTERM');
    const [code, signal] = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await gone(run.memcachedPid)).toBe(true);
  });

  test("a script's own SIGTERM handler decides; its memcached still goes when it exits", async () => {
    const run = await scriptWithMemcached('handler');
    run.child.kill('SIGTERM');
    const [code] = await run.exited;
    expect(code).toBe(0);
    expect(run.output()).toContain('memcached still up in the handler');
    expect(await gone(run.memcachedPid)).toBe(true);
  });

  test('awaiting kill() keeps a script alive until its memcached has exited', async () => {
    const script = `
      import { startMemcached } from ${JSON.stringify(LIBRARY)};
      const server = await startMemcached();
      await server.kill();
      console.log('after kill');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    scripts.add(child);
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      output += text;
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, output }).toEqual({ code: 0, output: 'after kill\n' });
  });

  test('a port someone already answers on is refused with ERR_SERVER_PORT_IN_USE', async () => {
    const first: MemcachedServer = await startMemcached();
    const second = startMemcached({ port: first.port });
    await expect(second).rejects.toBeInstanceOf(ServerStartError);
    await expect(second).rejects.toMatchObject({ code: 'ERR_SERVER_PORT_IN_USE', address: first.address });
    await first.stop();
  });

  test('memcached that exits at start is reported with its stderr', async () => {
    const start = startMemcached({ args: ['--no-such-option'] });
    await expect(start).rejects.toMatchObject({ code: 'ERR_SERVER_EXITED', server: 'memcached' });
    await expect(start).rejects.toThrow(/no-such-option|invalid|unrecognized/i);
  });

  test('stopAllServers() ends every process the library started in this file', async () => {
    await startMemcached();
    expect(runningPids().length).toBeGreaterThan(0);
    await stopAllServers();
    expect(runningPids()).toEqual([]);
  });

  test('an option passed as undefined keeps its default', async () => {
    const server = await startMemcached({ host: undefined, memoryMb: undefined, args: undefined });
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    await server.stop();
  });

  test('a missing binary is ERR_SERVER_NOT_INSTALLED', async () => {
    const start = startMemcached({ binary: '/nonexistent/memcached' });
    await expect(start).rejects.toMatchObject({ code: 'ERR_SERVER_NOT_INSTALLED' });
  });
});
