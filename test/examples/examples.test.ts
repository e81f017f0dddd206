import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { type MemcachedOptions, type MemcachedServer, startMemcached } from '../support/index.js';

/**
 * Each runnable example under examples/ has a `check.mjs` that plays its scenario against the memcached
 * named by MEMCACHE_SERVERS (and credentials) and exits 0 only if the behaviour is right. These tests
 * start that memcached, run the check as CI would (`node check.mjs` in the example's folder, with only
 * the variables it is given), and end every process they started by its pid.
 *
 * The examples import the built packages (`@memwire/<name>` resolves to packages/<name>/dist), as an application would:
 * `npm test` builds before vitest; on its own, run `npm run build` first.
 */

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const PACKAGES = fileURLToPath(new URL('../../packages/', import.meta.url));
/** Generous: no check asserts on time; this only stops a hung example from hanging the suite. */
const CHECK_LIMIT_MS = 60_000;
const TEST_MS = CHECK_LIMIT_MS + 15_000;
/** The login of the `memcached -Y` the heroku example runs against. */
const HEROKU_LOGIN = { username: 'heroku-app', password: 'examples-S3cret-pw' };

interface CheckRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

const servers: MemcachedServer[] = [];
const running = new Set<ChildProcess>();

afterEach(async () => {
  // A check still running here timed out in vitest: end it and whatever it started (see runCheck).
  for (const child of running) killGroup(child);
  running.clear();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function memcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const server = await startMemcached(options);
  servers.push(server);
  return server;
}

function assertBuilt(): void {
  for (const name of ['core', 'keyv', 'cache-manager', 'express', 'nestjs', 'rate-limit', 'session']) {
    const entry = `${PACKAGES}${name}/dist/index.mjs`;
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  }
}

/**
 * The test process's environment without any memcached configuration (a developer's MEMCACHE_SERVERS
 * or CI's must not reach a check), nor a node:test context inherited from a parent runner.
 */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(MEMCACHE_|MEMCACHIER_|IRON_|NODE_TEST_CONTEXT$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * `node check.mjs` in examples/<name>. The check is its own process group (`detached`), so that on a
 * timeout the group's id ends it together with the processes it started (web servers, workers, Python).
 */
function runCheck(name: string, env: Record<string, string>): Promise<CheckRun> {
  assertBuilt();
  const child = spawn(process.execPath, ['check.mjs'], {
    cwd: `${EXAMPLES}${name}`,
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
      output += `\n[examples.test] killed after ${CHECK_LIMIT_MS} ms`;
    }, CHECK_LIMIT_MS);
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

/** Exit 0, and node:test's own summary: some tests passed and none failed (TAP on Node 20, spec later). */
function expectPassed(run: CheckRun): void {
  const report = `check.mjs exited with ${run.code ?? run.signal}:\n${run.output}`;
  expect(run.code, report).toBe(0);
  expect(run.output, report).toMatch(/^(?:#|ℹ) fail 0$/m);
  const passed = Number(run.output.match(/^(?:#|ℹ) pass (\d+)$/m)?.[1] ?? 0);
  expect(passed, report).toBeGreaterThan(0);
}

describe('examples', { timeout: TEST_MS }, () => {
  test('keyv: namespaces, clear() of one namespace only, TTLs that expire', async () => {
    const server = await memcached();
    expectPassed(await runCheck('keyv', { MEMCACHE_SERVERS: server.address }));
  });

  test('cache-manager: wrap runs a slow function once, across callers and processes', async () => {
    const server = await memcached();
    expectPassed(await runCheck('cache-manager', { MEMCACHE_SERVERS: server.address }));
  });

  test('express-app: a slow page cached (MISS then HIT), a private page never shared, tags, the REST API', async () => {
    const server = await memcached();
    expectPassed(await runCheck('express-app', { MEMCACHE_SERVERS: server.address }));
  });

  test('nestjs-app: module from env, @CacheResponse (MISS then HIT, private, POST invalidates), @InjectMemwire, terminus health', async () => {
    const server = await memcached();
    expectPassed(await runCheck('nestjs-app', { MEMCACHE_SERVERS: server.address }));
  });

  test('rate-limit: one count across two processes (429 on the sixth), RateLimit headers, /login fails closed and /api open with memcached down', async () => {
    const server = await memcached();
    expectPassed(await runCheck('rate-limit', { MEMCACHE_SERVERS: server.address }));
  });

  test('session: express-session on memcached: login, per-session data, logout, a restart, clear()', async () => {
    const server = await memcached();
    expectPassed(await runCheck('session', { MEMCACHE_SERVERS: server.address }));
  });

  test('heroku: the web process, configured by MEMCACHE_* / MEMCACHIER_*, against memcached -Y', async () => {
    const server = await memcached({ auth: HEROKU_LOGIN });
    const run = await runCheck('heroku', {
      MEMCACHE_SERVERS: server.address,
      MEMCACHE_USERNAME: HEROKU_LOGIN.username,
      MEMCACHE_PASSWORD: HEROKU_LOGIN.password,
    });
    expectPassed(run);
  });

  test('django-interop: Django (PyMemcacheCache, KEY_PREFIX, VERSION) and Node read each other', async () => {
    const server = await memcached();
    expectPassed(await runCheck('django-interop', { MEMCACHE_SERVERS: server.address }));
  });
});
