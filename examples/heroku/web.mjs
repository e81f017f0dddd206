// The `web` process of the Procfile: a tiny HTTP app whose whole memcached configuration, credentials
// included, comes from the environment, as on Heroku with the MemCachier add-on.
//
//   GET /        counts visits with memcached's incr
//   GET /report  a slow report, cached for a minute (X-Cache: MISS, then HIT)
//   GET /health  logs in and asks every server its version: 200, or 503 with the error code
//
// Heroku sends SIGTERM before it stops a dyno: the server stops taking requests, the memcached
// connections close, and the process exits 0.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, readEnvironment } from '@memwire/core';

// Heroku gives the port in PORT; `heroku local` uses 5000. PORT=0 takes any free port (the checks do).
const port = Number(process.env.PORT ?? 5000);

// Nothing but the environment: MEMCACHIER_SERVERS, MEMCACHIER_USERNAME, MEMCACHIER_PASSWORD (set by
// the add-on), else MEMCACHE_SERVERS, MEMCACHE_USERNAME, MEMCACHE_PASSWORD, else 127.0.0.1:11211 with
// no login. The prefix keeps this app's keys apart on a cache shared with others.
const cache = createClient({ keyPrefix: 'heroku-example:' });

/** Which variable each setting came from: safe to log and show (no value is a secret here). */
function configSources() {
  const settings = readEnvironment(process.env);
  return {
    servers: settings.servers?.source ?? 'default',
    username: settings.username?.source ?? 'none',
    password: settings.password === undefined ? 'none' : `${settings.password.source} (hidden)`,
  };
}

const REPORT_TTL_SECONDS = 60;

async function buildReport() {
  await sleep(500); // stands for a slow query
  return {
    title: 'Signups this week',
    values: [12, 19, 7, 24, 31, 18, 9],
    builtAt: new Date().toISOString(),
  };
}

const routes = {
  async '/'() {
    // incr fails on a missing key, so create the counter first; `add` never overwrites it.
    let visits = await cache.incr('visits', 1);
    if (visits === undefined) {
      await cache.add('visits', 0);
      visits = await cache.incr('visits', 1);
    }
    return { status: 200, body: { message: 'Hello from memwire on Heroku', visits } };
  },
  async '/report'() {
    const cached = await cache.get('report');
    if (cached !== undefined) return { status: 200, headers: { 'x-cache': 'HIT' }, body: cached };
    const report = await buildReport();
    await cache.set('report', report, { ttl: REPORT_TTL_SECONDS });
    return { status: 200, headers: { 'x-cache': 'MISS' }, body: report };
  },
  async '/health'() {
    const versions = await cache.version();
    return {
      status: 200,
      body: { ok: true, servers: Object.fromEntries(versions), config: configSources() },
    };
  },
};

const server = createServer(async (request, response) => {
  const route =
    request.method === 'GET' ? routes[new URL(request.url, 'http://localhost').pathname] : undefined;
  let reply;
  if (route === undefined) {
    reply = { status: 404, body: { error: 'not found' } };
  } else {
    try {
      reply = await route();
    } catch (error) {
      // memwire errors carry a stable code and the server's address, never a credential.
      console.error(`web: ${request.url}: ${error.code ?? error.name}: ${error.message}`);
      reply = { status: 503, body: { ok: false, error: { code: error.code, server: error.server } } };
    }
  }
  response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  response.end(JSON.stringify(reply.body));
});

server.listen(port, () => {
  const sources = configSources();
  console.log(
    `web: listening on port ${server.address().port}; memcached ${cache.servers.join(', ')} ` +
      `(servers from ${sources.servers}, username from ${sources.username})`,
  );
});

process.once('SIGTERM', () => {
  console.log('web: SIGTERM, shutting down');
  server.close();
  server.closeIdleConnections();
  void cache.close();
});
