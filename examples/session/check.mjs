// CI's check of this example: starts `node server.mjs` on a free port (PORT=0) against the memcached
// named by MEMCACHE_SERVERS (and credentials, if any), plays each scenario over HTTP, and stops it by its
// pid. Exits 0 only if every check passes (node:test sets the exit code).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Generous: only stops a hung app from hanging the check. */
const START_LIMIT_MS = 10_000;
const STOP_LIMIT_MS = 10_000;

let web;

before(async () => {
  if (!process.env.MEMCACHIER_SERVERS?.trim() && !process.env.MEMCACHE_SERVERS?.trim()) {
    throw new Error('this check needs a memcached: set MEMCACHE_SERVERS (e.g. 127.0.0.1:11211)');
  }
  web = await startWeb();
});

after(async () => {
  await web?.stop('SIGKILL');
});

/** Starts `node server.mjs` (the `start` script) and resolves once it listens. */
async function startWeb() {
  const child = spawn(process.execPath, ['server.mjs'], { cwd: here, env: { ...process.env, PORT: '0' } });
  const app = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
      return app.exited;
    },
  };
  child.stdout.setEncoding('utf8').on('data', (text) => {
    app.output += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text) => {
    app.output += text;
  });
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    const port = app.output.match(/listening on http:\/\/localhost:(\d+)/)?.[1];
    if (port !== undefined) {
      app.url = `http://127.0.0.1:${port}`;
      return app;
    }
    if (child.exitCode !== null) assert.fail(`server.mjs exited with ${child.exitCode}:\n${app.output}`);
    if (Date.now() > deadline)
      assert.fail(`server.mjs did not listen within ${START_LIMIT_MS} ms:\n${app.output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One request as a browser with `cookie` would send it; the status, the JSON body and the session cookie set, if any. */
async function request(path, { method = 'GET', cookie, form } = {}) {
  const headers = {};
  if (cookie) headers.cookie = cookie;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const response = await fetch(web.url + path, { method, headers, body });
  const setCookie = response.headers.getSetCookie().find((line) => line.startsWith('connect.sid='));
  return { status: response.status, body: await response.json(), cookie: setCookie?.split(';')[0] };
}

async function login(user) {
  const reply = await request('/login', { method: 'POST', form: { user } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.ok(reply.cookie, 'a login sets the session cookie');
  return reply.cookie;
}

test('a login is remembered: the next request with the cookie knows the user, one without does not', async () => {
  const ada = await login('ada');
  assert.deepEqual((await request('/me', { cookie: ada })).body, { user: 'ada', visits: 0 });
  assert.deepEqual((await request('/me')).body, { user: null, visits: 0 });
});

test("each session keeps its own data: Ada's counter is not Bob's", async () => {
  const ada = await login('ada');
  const bob = await login('bob');
  await request('/visits', { method: 'POST', cookie: ada });
  await request('/visits', { method: 'POST', cookie: ada });
  await request('/visits', { method: 'POST', cookie: bob });
  assert.deepEqual((await request('/me', { cookie: ada })).body, { user: 'ada', visits: 2 });
  assert.deepEqual((await request('/me', { cookie: bob })).body, { user: 'bob', visits: 1 });
});

test('logout ends the session: the old cookie is nobody now', async () => {
  const ada = await login('ada');
  assert.equal((await request('/logout', { method: 'POST', cookie: ada })).status, 200);
  assert.deepEqual((await request('/me', { cookie: ada })).body, { user: null, visits: 0 });
});

test('sessions live in memcached: a restart of the app logs nobody out', async () => {
  const ada = await login('ada');
  await request('/visits', { method: 'POST', cookie: ada });
  assert.deepEqual(await web.stop('SIGTERM'), { code: 0, signal: null }, web.output);
  web = await startWeb();
  assert.deepEqual((await request('/me', { cookie: ada })).body, { user: 'ada', visits: 1 });
});

test('clear() logs everyone out, and new logins work at once', async () => {
  const ada = await login('ada');
  const bob = await login('bob');
  assert.equal((await request('/logout-everyone', { method: 'POST' })).status, 200);
  assert.equal((await request('/me', { cookie: ada })).body.user, null);
  assert.equal((await request('/me', { cookie: bob })).body.user, null);
  const again = await login('ada');
  assert.equal((await request('/me', { cookie: again })).body.user, 'ada');
});

test('on SIGTERM the app finishes, closes its memcached client and exits 0', async () => {
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
