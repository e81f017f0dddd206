// CI's check of this example: runs web.mjs as Heroku would (`web: node web.mjs`, PORT set, memcached
// configured only by environment variables) against a memcached that requires a login (memcached -Y,
// or MemCachier itself), given as MEMCACHE_SERVERS + MEMCACHE_USERNAME + MEMCACHE_PASSWORD (or the
// MEMCACHIER_* names). Exits 0 only if every check passes (node:test sets the exit code).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, readEnvironment } from '@memwire/core';

const here = fileURLToPath(new URL('.', import.meta.url));
const WRONG_PASSWORD = 'not-the-password-7Qx';
/** Generous: only stops a hung web process from hanging the check. */
const START_LIMIT_MS = 10_000;
const STOP_LIMIT_MS = 10_000;

/** The memcached and credentials this check was given, whichever names they came under. */
let target;
/** Every web process started, so after() can end any a failed test left running. */
const started = [];

before(() => {
  const settings = readEnvironment(process.env);
  const servers = process.env.MEMCACHIER_SERVERS?.trim() || process.env.MEMCACHE_SERVERS?.trim();
  if (!servers || settings.username === undefined || settings.password === undefined) {
    throw new Error(
      'this check needs a memcached that requires a login: set MEMCACHE_SERVERS, MEMCACHE_USERNAME and ' +
        'MEMCACHE_PASSWORD (e.g. memcached -Y authfile, see README.md) or the MEMCACHIER_* variables',
    );
  }
  target = { servers, username: settings.username.value, password: settings.password.value };
});

after(async () => {
  await Promise.all(started.map((web) => web.stop('SIGKILL')));
});

/** The environment without any memcached variable, so each web process gets exactly the ones named. */
function envWith(variables) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(MEMCACHE_|MEMCACHIER_)/.test(name)) env[name] = value;
  }
  return { ...env, PORT: '0', ...variables };
}

const memcacheVars = (password = target.password) => ({
  MEMCACHE_SERVERS: target.servers,
  MEMCACHE_USERNAME: target.username,
  MEMCACHE_PASSWORD: password,
});

const memcachierVars = () => ({
  MEMCACHIER_SERVERS: target.servers,
  MEMCACHIER_USERNAME: target.username,
  MEMCACHIER_PASSWORD: target.password,
});

/** Starts `node web.mjs` (the Procfile's command) and resolves once it listens. */
async function startWeb(variables) {
  const child = spawn(process.execPath, ['web.mjs'], { cwd: here, env: envWith(variables) });
  const web = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
      return web.exited;
    },
  };
  started.push(web);
  child.stdout.setEncoding('utf8').on('data', (text) => {
    web.output += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text) => {
    web.output += text;
  });
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    const port = web.output.match(/listening on port (\d+)/)?.[1];
    if (port !== undefined) {
      web.url = `http://127.0.0.1:${port}`;
      return web;
    }
    if (child.exitCode !== null) assert.fail(`web.mjs exited with ${child.exitCode}:\n${web.output}`);
    if (Date.now() > deadline)
      assert.fail(`web.mjs did not listen within ${START_LIMIT_MS} ms:\n${web.output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function get(web, path) {
  const response = await fetch(web.url + path);
  return { status: response.status, cache: response.headers.get('x-cache'), body: await response.json() };
}

/** A client of this check's own, with the given credentials, reading the app's keys. */
function directClient(credentials) {
  return createClient({ servers: target.servers, env: false, keyPrefix: 'heroku-example:', ...credentials });
}

let web;
let visits;
let report;

test('web.mjs reads MEMCACHE_SERVERS, MEMCACHE_USERNAME and MEMCACHE_PASSWORD, logs in and is healthy', async () => {
  web = await startWeb(memcacheVars());
  assert.match(web.output, /servers from MEMCACHE_SERVERS, username from MEMCACHE_USERNAME/);
  const health = await get(web, '/health');
  assert.equal(health.status, 200, JSON.stringify(health.body));
  assert.equal(health.body.ok, true);
  assert.deepEqual(health.body.config, {
    servers: 'MEMCACHE_SERVERS',
    username: 'MEMCACHE_USERNAME',
    password: 'MEMCACHE_PASSWORD (hidden)',
  });
  for (const [server, version] of Object.entries(health.body.servers)) {
    assert.match(version, /^\d+\.\d+/, `${server} answered version ${version}`);
  }
});

test('GET / counts visits with incr', async () => {
  const first = await get(web, '/');
  const second = await get(web, '/');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(typeof first.body.visits, 'number');
  assert.equal(second.body.visits, first.body.visits + 1);
  visits = second.body.visits;
});

test('GET /report is built once, then served from memcached (X-Cache: MISS, then HIT)', async () => {
  const client = directClient({ username: target.username, password: target.password });
  try {
    await client.delete('report'); // start cold whatever an earlier run left
  } finally {
    await client.close();
  }
  const miss = await get(web, '/report');
  const hit = await get(web, '/report');
  assert.equal(miss.status, 200, JSON.stringify(miss.body));
  assert.equal(miss.cache, 'MISS');
  assert.equal(hit.cache, 'HIT');
  assert.deepEqual(hit.body, miss.body);
  report = miss.body;
});

test('the values are in the memcached that requires a login, and only a login reads them', async () => {
  const client = directClient({ username: target.username, password: target.password });
  const anonymous = directClient({});
  try {
    assert.deepEqual(await client.get('report'), report);
    assert.ok((await client.get('visits')) >= visits);
    await assert.rejects(
      anonymous.get('report'),
      { code: 'ERR_MEMWIRE_AUTH_REQUIRED' },
      'the server needs no login',
    );
  } finally {
    await Promise.all([client.close(), anonymous.close()]);
  }
});

test("the MemCachier add-on's MEMCACHIER_* variables work on their own", async () => {
  const addon = await startWeb(memcachierVars());
  assert.match(addon.output, /servers from MEMCACHIER_SERVERS, username from MEMCACHIER_USERNAME/);
  const health = await get(addon, '/health');
  assert.equal(health.status, 200, JSON.stringify(health.body));
  assert.equal(health.body.config.password, 'MEMCACHIER_PASSWORD (hidden)');
  const page = await get(addon, '/');
  assert.ok(page.body.visits > visits, 'a second process should count on the same counter');
  assert.equal((await get(addon, '/report')).cache, 'HIT');
  await addon.stop('SIGTERM');
});

test('MEMCACHIER_* wins over MEMCACHE_*, variable by variable', async () => {
  const both = await startWeb({
    ...memcachierVars(),
    MEMCACHE_SERVERS: '127.0.0.1:1',
    MEMCACHE_USERNAME: 'someone-else',
    MEMCACHE_PASSWORD: WRONG_PASSWORD,
  });
  const health = await get(both, '/health');
  assert.equal(health.status, 200, JSON.stringify(health.body));
  assert.equal(health.body.config.servers, 'MEMCACHIER_SERVERS');
  await both.stop('SIGTERM');
});

test('a wrong password answers 503 with ERR_MEMWIRE_AUTH, and no password shows anywhere', async () => {
  const refused = await startWeb(memcacheVars(WRONG_PASSWORD));
  const health = await get(refused, '/health');
  const page = await get(refused, '/');
  assert.equal(health.status, 503);
  assert.equal(health.body.error.code, 'ERR_MEMWIRE_AUTH');
  assert.equal(page.status, 503);
  assert.equal(page.body.error.code, 'ERR_MEMWIRE_AUTH');
  await refused.stop('SIGTERM');
  const seen = refused.output + JSON.stringify([health.body, page.body]);
  assert.ok(!seen.includes(WRONG_PASSWORD), `the password shows in:\n${seen}`);
});

test('on SIGTERM, as Heroku stops a dyno, the web process closes everything and exits 0', async () => {
  let timer;
  const exit = await Promise.race([
    web.stop('SIGTERM'),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(`still running after ${STOP_LIMIT_MS} ms`), STOP_LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  assert.deepEqual(exit, { code: 0, signal: null }, web.output);
  assert.match(web.output, /SIGTERM, shutting down/);
});

test('no process printed the password', () => {
  for (const each of started) {
    assert.ok(!each.output.includes(target.password), `the password shows in:\n${each.output}`);
  }
});
