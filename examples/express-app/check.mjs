// CI's check of this example: starts `node server.mjs` on a free port (PORT=0) against the memcached
// named by MEMCACHE_SERVERS (and credentials, if any), plays each scenario over HTTP, and stops it by its
// pid. Exits 0 only if every check passes (node:test sets the exit code).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@memwire/core';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Generous: only stops a hung app from hanging the check. */
const START_LIMIT_MS = 10_000;
const STOP_LIMIT_MS = 10_000;
const API_KEY = `check-${randomUUID()}`;
/** Part of every URL and key the check uses, so an earlier run's cached responses never answer it. */
const RUN = randomUUID().slice(0, 8);

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
  const env = { ...process.env, PORT: '0', CACHE_API_KEY: API_KEY };
  const child = spawn(process.execPath, ['server.mjs'], { cwd: here, env });
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

/** One request; the answer's status, X-Cache, Cache-Control and JSON body (undefined when empty). */
async function request(path, { method = 'GET', headers = {}, json } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  const response = await fetch(web.url + path, init);
  const text = await response.text();
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    cacheControl: response.headers.get('cache-control'),
    age: response.headers.get('age'),
    body: text === '' ? undefined : JSON.parse(text),
  };
}

test('GET /report is built once (X-Cache: MISS), then served from memcached (HIT), the same body', async () => {
  const path = `/report?run=${RUN}`;
  const miss = await request(path);
  const hit = await request(path);
  assert.equal(miss.status, 200, JSON.stringify(miss.body));
  assert.equal(miss.cache, 'MISS');
  assert.equal(hit.status, 200);
  assert.equal(hit.cache, 'HIT');
  assert.deepEqual(hit.body, miss.body, 'a hit is the stored report, builtAt included');
  assert.match(hit.age ?? '', /^\d+$/, 'a response from the cache says its Age');
});

test('GET /me is private: each cookie gets its own page, and none comes from the cache', async () => {
  const as = (user) => request(`/me?run=${RUN}`, { headers: { cookie: `user=${user}` } });
  const pages = [await as('ada'), await as('bob'), await as('ada'), await as('bob')];
  const anonymous = await request(`/me?run=${RUN}`);
  assert.deepEqual(
    [...pages, anonymous].map((page) => page.body.user),
    ['ada', 'bob', 'ada', 'bob', 'guest'],
  );
  for (const page of [...pages, anonymous]) {
    assert.equal(page.status, 200);
    assert.match(page.cacheControl ?? '', /\bprivate\b/);
    assert.notEqual(page.cache, 'HIT', `${page.body.user}'s page came from the cache`);
  }
});

test('POST /sale invalidates the "products" tag: every product page is rebuilt with the new prices', async () => {
  const before = { one: await request('/products/1'), list: await request('/products') };
  const cached = { one: await request('/products/1'), list: await request('/products') };
  assert.equal(before.one.cache, 'MISS');
  assert.equal(cached.one.cache, 'HIT');
  assert.deepEqual(cached.one.body, before.one.body);
  assert.equal(cached.list.cache, 'HIT');

  const sale = await request('/sale', { method: 'POST', json: { percent: 50 } });
  assert.equal(sale.status, 200, JSON.stringify(sale.body));

  const rebuilt = { one: await request('/products/1'), list: await request('/products') };
  assert.equal(rebuilt.one.cache, 'MISS', 'the tagged page was dropped');
  assert.equal(rebuilt.list.cache, 'MISS', 'every page with the tag was dropped');
  assert.equal(rebuilt.one.body.price, before.one.body.price / 2);
  assert.deepEqual(
    rebuilt.list.body.map((product) => product.price),
    before.list.body.map((product) => product.price / 2),
  );
  const again = await request('/products/1');
  assert.equal(again.cache, 'HIT');
  assert.equal(again.body.price, rebuilt.one.body.price);
});

test('the REST API at /cache: PUT, GET and DELETE with the API key, 401 without it', async () => {
  const key = `express-app-check:${RUN}`;
  const path = `/cache/${encodeURIComponent(key)}`;
  const withKey = { 'x-api-key': API_KEY };
  const value = { greeting: 'hello', n: 1 };

  const refused = [
    await request(path, { method: 'PUT', json: { value, ttl: 60 } }),
    await request(path, { method: 'PUT', headers: { 'x-api-key': 'wrong' }, json: { value, ttl: 60 } }),
  ];
  for (const answer of refused) {
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error.code, 'ERR_MEMWIRE_HTTP_UNAUTHORIZED');
  }

  assert.equal(
    (await request(path, { method: 'PUT', headers: withKey, json: { value, ttl: 60 } })).status,
    204,
  );
  const read = await request(path, { headers: withKey });
  assert.equal(read.status, 200);
  assert.deepEqual(read.body, value);
  assert.equal((await request(path)).status, 401, 'a read needs the key too');

  // It is memcached itself: a client of the check's own reads what the API wrote, under the router's
  // own prefix (`rest:`), so the API key never reaches the responseCache's pages next to it.
  const client = createClient();
  try {
    assert.deepEqual(await client.get(`rest:${key}`), value);
    assert.equal(await client.get(key), undefined);
  } finally {
    await client.close();
  }

  assert.equal((await request(path, { method: 'DELETE', headers: withKey })).status, 204);
  assert.equal((await request(path, { headers: withKey })).status, 404);
});

test('on SIGTERM the app finishes, closes its memcached clients and exits 0', async () => {
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
