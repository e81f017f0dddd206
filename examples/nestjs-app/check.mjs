// CI's check of this example: starts `node main.mjs` (the `start` script) on a free port (PORT=0)
// against the memcached named by MEMCACHE_SERVERS (and credentials, if any), plays each scenario over
// HTTP, and stops it by its pid. Exits 0 only if every check passes (node:test sets the exit code).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '@memwire/core';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Generous: only stops a hung app from hanging the check. */
const START_LIMIT_MS = 15_000;
const STOP_LIMIT_MS = 10_000;
/** Part of every URL and user name the check uses, so an earlier run's entries never answer it. */
const RUN = randomUUID().slice(0, 8);

/** Every app started, so after() can end any that a failed test left running. */
const started = [];
/** The app most tests talk to. */
let web;

before(async () => {
  if (!process.env.MEMCACHIER_SERVERS?.trim() && !process.env.MEMCACHE_SERVERS?.trim()) {
    throw new Error('this check needs a memcached: set MEMCACHE_SERVERS (e.g. 127.0.0.1:11211)');
  }
  web = await startApp();
});

after(async () => {
  await Promise.all(started.map((app) => app.stop('SIGKILL')));
});

/**
 * Starts `node main.mjs` and resolves once it listens. `memcached` replaces the memcached variables of
 * this process's environment (all of them, so that only the ones given count).
 */
async function startApp(memcached) {
  let env = { ...process.env };
  if (memcached !== undefined) {
    env = Object.fromEntries(Object.entries(env).filter(([name]) => !/^(MEMCACHE_|MEMCACHIER_)/.test(name)));
    Object.assign(env, memcached);
  }
  // NO_COLOR: Nest's logger colours its lines otherwise, even into a pipe.
  const child = spawn(process.execPath, ['main.mjs'], {
    cwd: here,
    env: { ...env, PORT: '0', NO_COLOR: '1' },
  });
  const app = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
      return app.exited;
    },
  };
  started.push(app);
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
    if (child.exitCode !== null) assert.fail(`main.mjs exited with ${child.exitCode}:\n${app.output}`);
    if (Date.now() > deadline)
      assert.fail(`main.mjs did not listen within ${START_LIMIT_MS} ms:\n${app.output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Stops an app with SIGTERM; resolves to how it exited, or a message if it has not within the limit. */
async function stopWithin(app) {
  let timer;
  const exit = await Promise.race([
    app.stop('SIGTERM'),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(`still running after ${STOP_LIMIT_MS} ms`), STOP_LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  return exit;
}

/** One request; the answer's status, X-Cache, Cache-Control, Age and JSON body (undefined when empty). */
async function request(app, path, { method = 'GET', headers = {}, json } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  const response = await fetch(app.url + path, init);
  const text = await response.text();
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    cacheControl: response.headers.get('cache-control'),
    age: response.headers.get('age'),
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/**
 * A GET with the `Host` a load balancer in front of every process would pass on (fetch cannot set
 * `Host`): the host is part of the cache's key, and each process here listens on its own port.
 */
function requestAs(app, path, host) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(app.url + path, { headers: { host }, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          cache: res.headers['x-cache'],
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port nothing listens on (it was free a moment ago): a memcached that is down. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('GET /products/:id is built once (X-Cache: MISS), then served from memcached (HIT), the same body', async () => {
  const path = `/products/1?run=${RUN}`;
  const miss = await request(web, path);
  const hit = await request(web, path);
  assert.equal(miss.status, 200, JSON.stringify(miss.body));
  assert.equal(miss.cache, 'MISS');
  assert.equal(miss.body.name, 'Espresso cup');
  assert.equal(hit.status, 200);
  assert.equal(hit.cache, 'HIT');
  assert.deepEqual(hit.body, miss.body, 'a hit is the stored page, renderedAt included');
  assert.match(hit.age ?? '', /^\d+$/, 'a response from the cache says its Age');
});

test('GET /me is private: each cookie gets its own page and its own visit count, never from the cache', async () => {
  const ada = `ada-${RUN}`;
  const bob = `bob-${RUN}`;
  const as = (user) => request(web, `/me?run=${RUN}`, { headers: { cookie: `theme=dark; user=${user}` } });
  const pages = [await as(ada), await as(bob), await as(ada), await as(bob), await as(ada)];
  const anonymous = await request(web, `/me?run=${RUN}`);
  assert.deepEqual(
    [...pages, anonymous].map((page) => page.body.user),
    [ada, bob, ada, bob, ada, 'guest'],
  );
  assert.deepEqual(
    pages.map((page) => page.body.visits),
    [1, 1, 2, 2, 3],
    'each user counts their own visits',
  );
  assert.equal(typeof anonymous.body.visits, 'number');
  for (const page of [...pages, anonymous]) {
    assert.equal(page.status, 200);
    assert.match(page.cacheControl ?? '', /\bprivate\b/);
    assert.notEqual(page.cache, 'HIT', `${page.body.user}'s page came from the cache`);
  }

  // The counters are memcached's own: a client of the check's own reads them under the app's prefix.
  const client = createClient({ keyPrefix: 'nestjs-app:' });
  try {
    assert.equal(await client.get(`visits:${ada}`), 3);
    assert.equal(await client.get(`visits:${bob}`), 2);
  } finally {
    await client.close();
  }
});

test('POST /products/:id changes the product and invalidates its page; a refused POST invalidates nothing', async () => {
  const path = `/products/2?run=${RUN}`;
  const before = await request(web, path);
  const cached = await request(web, path);
  assert.equal(before.cache, 'MISS');
  assert.equal(cached.cache, 'HIT');
  assert.equal(before.body.price, 18.5);

  const refused = await request(web, path, { method: 'POST', json: { price: 'free' } });
  assert.equal(refused.status, 400);
  assert.equal((await request(web, path)).cache, 'HIT', 'a 400 left the page cached');

  const update = await request(web, path, { method: 'POST', json: { price: 9.5 } });
  assert.equal(update.status, 200, JSON.stringify(update.body));
  assert.deepEqual(update.body, { id: 2, name: 'Milk jug', price: 9.5 });

  const rebuilt = await request(web, path);
  assert.equal(rebuilt.cache, 'MISS', 'the POST dropped the cached page');
  assert.equal(rebuilt.body.price, 9.5);
  const again = await request(web, path);
  assert.equal(again.cache, 'HIT');
  assert.deepEqual(again.body, rebuilt.body);
});

test('GET /health: terminus reports memcached up, with each server and its version', async () => {
  const health = await request(web, '/health');
  assert.equal(health.status, 200, JSON.stringify(health.body));
  assert.equal(health.body.status, 'ok');
  const { memcached } = health.body.info;
  assert.equal(memcached.status, 'up');
  const servers = Object.entries(memcached.servers);
  assert.ok(servers.length > 0, JSON.stringify(memcached));
  for (const [address, server] of servers) {
    assert.equal(server.status, 'up', `${address}: ${JSON.stringify(server)}`);
    assert.match(server.version, /^\d+\.\d+/, `${address} answered version ${server.version}`);
  }
});

test('another process of the app, starting, drops every page tagged "products" from the shared memcached', async () => {
  const path = `/products/3?run=${RUN}`;
  const host = 'shop.example';
  assert.equal((await requestAs(web, path, host)).cache, 'MISS');
  assert.equal((await requestAs(web, path, host)).cache, 'HIT');
  const second = await startApp(); // its catalogue calls invalidateTags('products') before it listens
  try {
    const rebuilt = await requestAs(web, path, host);
    assert.equal(rebuilt.cache, 'MISS', 'the tag was invalidated for every process');
    assert.equal((await requestAs(second, path, host)).cache, 'HIT', 'the processes share one cache');
  } finally {
    assert.deepEqual(await stopWithin(second), { code: 0, signal: null }, second.output);
  }
});

test('with memcached down, /health says 503 and why, and the pages still answer, uncached', async () => {
  const down = `127.0.0.1:${await closedPort()}`;
  const app = await startApp({ MEMCACHE_SERVERS: down });
  try {
    const health = await request(app, '/health');
    assert.equal(health.status, 503, JSON.stringify(health.body));
    assert.equal(health.body.status, 'error');
    assert.equal(health.body.error.memcached.status, 'down');
    assert.equal(health.body.error.memcached.servers[down].error.code, 'ERR_MEMWIRE_CONNECTION');

    const product = await request(app, '/products/1');
    assert.equal(product.status, 200, JSON.stringify(product.body));
    assert.equal(product.body.name, 'Espresso cup');
    assert.notEqual(product.cache, 'HIT');
    const me = await request(app, '/me', { headers: { cookie: 'user=ada' } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual([me.body.user, me.body.visits], ['ada', null], 'no count, but the page');
  } finally {
    assert.deepEqual(await stopWithin(app), { code: 0, signal: null }, app.output);
  }
});

test('on SIGTERM the app finishes, closes its memcached clients and exits 0', async () => {
  assert.deepEqual(await stopWithin(web), { code: 0, signal: null }, web.output);
  assert.match(web.output, /SIGTERM, shutting down/);
});
