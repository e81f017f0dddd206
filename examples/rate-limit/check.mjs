// CI's check of this example: starts two `node server.mjs` processes on free ports (PORT=0) against the
// memcached named by MEMCACHE_SERVERS (and credentials, if any), and a third against a port nothing
// listens on; plays each scenario over HTTP, and stops them by their pids. Exits 0 only if every check
// passes (node:test sets the exit code).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Generous: only stops a hung app from hanging the check. */
const START_LIMIT_MS = 10_000;
/** Every counter key of this run starts with it, so an earlier run's counts never meet this one's. */
const PREFIX = `check-${randomUUID().slice(0, 8)}:`;

const webs = [];
let one;
let two;
let cut;

before(async () => {
  if (!process.env.MEMCACHIER_SERVERS?.trim() && !process.env.MEMCACHE_SERVERS?.trim()) {
    throw new Error('this check needs a memcached: set MEMCACHE_SERVERS (e.g. 127.0.0.1:11211)');
  }
  [one, two, cut] = await Promise.all([
    startWeb({}),
    startWeb({}),
    // A memcached that is not there: nothing listens on a port just freed.
    freePort().then((port) => startWeb({ MEMCACHE_SERVERS: `127.0.0.1:${port}`, MEMCACHIER_SERVERS: '' })),
  ]);
  // The windows are the clock's minutes: a scenario split by a minute's end would count in two
  // windows. The whole check takes a second or two, so close to the end, start with the next minute.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
});

after(async () => {
  await Promise.all(webs.map((web) => web.stop()));
});

test('two processes share one count: the sixth /api request in a minute is a 429, whichever answers it', async () => {
  const statuses = [];
  const pids = new Set();
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${(i % 2 === 0 ? one : two).url}/api/time`);
    statuses.push(response.status);
    if (response.ok) pids.add((await response.json()).pid);
    else await response.text();
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  assert.equal(pids.size, 2, 'both processes answered');
});

test('the RateLimit headers count down, and Reset is the seconds to the window end', async () => {
  const response = await fetch(`${one.url}/api/time`);
  await response.text();
  assert.equal(response.headers.get('ratelimit-limit'), '5');
  assert.equal(response.headers.get('ratelimit-remaining'), '0');
  const reset = Number(response.headers.get('ratelimit-reset'));
  // The window is the clock's minute: its end is at most 60 s away, and never in the past.
  assert.ok(reset >= 0 && reset <= 60, `RateLimit-Reset: ${reset}`);
});

test('/login has its own count: three attempts, then 429', async () => {
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    const response = await fetch(`${(i % 2 === 0 ? two : one).url}/login`, { method: 'POST' });
    statuses.push(response.status);
    await response.text();
  }
  assert.deepEqual(statuses, [401, 401, 401, 429]);
});

test('memcached down: /api still answers (fail open), /login refuses (fail closed)', async () => {
  const api = await fetch(`${cut.url}/api/time`);
  await api.text();
  assert.equal(api.status, 200);
  const login = await fetch(`${cut.url}/login`, { method: 'POST' });
  await login.text();
  assert.equal(login.status, 429);
  await cut.waitForOutput(/\/api not limited \(ERR_MEMWIRE_CONNECTION\)/);
  await cut.waitForOutput(/\/login refused \(ERR_MEMWIRE_CONNECTION\)/);
});

test('SIGTERM: the app closes its clients and exits 0', async () => {
  const { code } = await one.stop('SIGTERM');
  assert.equal(code, 0, one.output);
});

/** Starts `node server.mjs` (the `start` script) with `env` added, and resolves once it listens. */
async function startWeb(extra) {
  const env = { ...process.env, PORT: '0', RATE_LIMIT_PREFIX: PREFIX, ...extra };
  const child = spawn(process.execPath, ['server.mjs'], { cwd: here, env });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const web = {
    url: undefined,
    output: '',
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
      return exited;
    },
    /** Resolves once the app has printed a line matching `pattern`. */
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const limit = setTimeout(() => reject(new Error(`no ${pattern} in:\n${web.output}`)), START_LIMIT_MS);
        const look = () => {
          if (!pattern.test(web.output)) return;
          clearTimeout(limit);
          child.stdout.off('data', look);
          child.stderr.off('data', look);
          resolve();
        };
        child.stdout.on('data', look);
        child.stderr.on('data', look);
        look();
      });
    },
  };
  webs.push(web);
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8').on('data', (text) => {
      web.output += text;
    });
  }
  await web.waitForOutput(/listening on (http:\/\/\S+)/);
  web.url = /listening on (http:\/\/\S+)/.exec(web.output)[1];
  return web;
}

/** A TCP port nothing listens on (taken, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
