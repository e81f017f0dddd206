import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

/**
 * `npm run demo -- --check`, as CI runs it: scripts/demo.mjs starts its own memcached (the machine's
 * MEMCACHE_* are stripped), serves examples/express-app, asks for the slow report twice and must see a
 * MISS then a HIT, then stop everything it started. It imports the built packages: `npm test` builds
 * before vitest; on its own, run `npm run build` first.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Generous: the demo takes about a second; this only stops a hung one from hanging the suite. */
const DEMO_LIMIT_MS = 30_000;
const TEST_MS = DEMO_LIMIT_MS + 10_000;

/**
 * The Node that runs vitest (npm's scripts get the repository's Node 24) and, under `npm test`, npm's
 * own (the machine's, Node 20 here): the demo is plain ESM that must run on either.
 */
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by npm for its scripts, not by turbo
const RUNTIMES = [...new Set([process.execPath, process.env.npm_node_execpath].filter(Boolean))] as string[];

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

const running = new Set<ChildProcess>();
const servers: net.Server[] = [];

afterEach(async () => {
  for (const child of running) killGroup(child);
  running.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function assertBuilt(): void {
  for (const name of ['core', 'express']) {
    const entry = `${ROOT}packages/${name}/dist/index.mjs`;
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  }
}

/** The environment without memcached configuration or a PORT, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(MEMCACHE_|MEMCACHIER_|IRON_|NODE_TEST_CONTEXT$|PORT$|CACHE_API_KEY$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** `node scripts/demo.mjs --check` in its own process group, so a timeout ends it and its memcached. */
function runDemoCheck(node: string, env: Record<string, string>): Promise<DemoRun> {
  assertBuilt();
  const child = spawn(node, ['scripts/demo.mjs', '--check'], {
    cwd: ROOT,
    env: cleanEnv(env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      output += `\n[demo.test] killed after ${DEMO_LIMIT_MS} ms`;
    }, DEMO_LIMIT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, output });
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exit 0, a MISS then a HIT for the report, the ok line, and the memcached it started gone. */
function expectChecked(run: DemoRun): void {
  const report = `demo --check exited with ${run.code ?? run.signal}:\n${run.output}`;
  expect(run.code, report).toBe(0);
  expect(run.output, report).toMatch(/^GET \/report\S* → MISS .*\nGET \/report\S* → HIT /m);
  expect(run.output, report).toMatch(/^demo check: ok: GET \/report was a MISS .* then a HIT /m);
  const pid = Number(run.output.match(/started memcached at \S+ \(pid (\d+)\)/)?.[1]);
  expect(pid, report).toBeGreaterThan(0);
  expect(run.output, report).toContain(`stopped the app and memcached (pid ${pid})`);
  expect(isRunning(pid), `memcached (pid ${pid}) still runs after the demo`).toBe(false);
}

/** A port some other server holds, as when something already runs on 3000. */
async function takenPort(): Promise<number> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('npm run demo -- --check', { timeout: TEST_MS }, () => {
  test.each(RUNTIMES)(
    'on %s: starts memcached and the app, sees a MISS then a HIT, stops both',
    async (node) => {
      // PORT=0: the suite never takes the demo's usual port 3000 from a developer's running demo.
      expectChecked(await runDemoCheck(node, { PORT: '0' }));
    },
  );

  test('a busy port: the demo says so and serves on a free one', async () => {
    const port = await takenPort();
    const run = await runDemoCheck(process.execPath, { PORT: String(port) });
    expectChecked(run);
    expect(run.output).toMatch(
      new RegExp(`listening on http://localhost:(?!${port}\\b)\\d+ \\(port ${port} is busy\\)`),
    );
  });
});
