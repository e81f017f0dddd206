// Benchmarks the response cache with autocannon on one Express 5 app and one Fastify 5 app, all routes
// in one run: a cached hit, the same route uncached, a static route sending the same body (per
// framework), and apicache's in-memory hit. It asserts nothing; see bench/README.md ("Express") for how to read it.
//
// Usage: USAGE below (`node bench/express.mjs --help`); `npm run bench:express` builds first.
//
// Routes are measured in rounds (every route once per round, in turn) and each route's median round
// is reported, so a drift in the machine's load hits every route alike.
//
// The app runs in a child process (so autocannon and the server do not share one event loop), with
// its own memcached (`memcached -l 127.0.0.1 -p <free port> -U 0 -m 64 -t 1`, `-u root` as root;
// MEMCACHED_BIN overrides the binary), both ended by pid when the run ends or is interrupted.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseFlags, startMemcached } from './lib.mjs';

const USAGE = `usage: node bench/express.mjs [options]

  (no options)        three rounds of 10 s per route, 2 s warm-up each, 50 connections
  --quick             one round of 3 s per route (1 s warm-up)
  --json              results as JSON on stdout (progress on stderr)
  --connections=N --duration=S --warmup=S --rounds=N
  --help              this text

  MEMCACHED_BIN=/path/memcached   the memcached to start
`;

const ROUTES = [
  { app: 'express', path: '/static', label: 'Express: static route (res.send of the same body)' },
  { app: 'express', path: '/cached', label: '@memwire/express hit (memcached)' },
  { app: 'express', path: '/apicache', label: 'apicache 1.6 hit (in-memory)' },
  { app: 'express', path: '/uncached', label: 'Express: same route, uncached' },
  { app: 'fastify', path: '/static', label: 'Fastify 5: static route (reply.send of the same body)' },
  { app: 'fastify', path: '/cached', label: '@memwire/fastify hit (memcached)' },
  { app: 'fastify', path: '/uncached', label: 'Fastify 5: same route, uncached' },
];
// @fastify/caching has no row: it stores no response bodies (it sets Cache-Control and answers
// If-None-Match from an ETag cache), so it has no cached hit to compare with.

if (process.argv.includes('--serve')) await serveApp();
else await main();

// ---- the app (child process) ---------------------------------------------------------------------

/** A product list as an API would send it: about 4 KB of JSON. */
function products() {
  return Array.from({ length: 24 }, (_, i) => ({
    id: i + 1,
    name: `Product ${i + 1}`,
    price: Math.round((i + 1) * 7.35 * 100) / 100,
    tags: ['memcached', 'express', i % 2 ? 'even' : 'odd'],
    description: 'A product description of moderate length, as listings carry.',
  }));
}

async function serveApp() {
  const { default: express } = await import('express');
  const { default: apicache } = await import('apicache');
  const { responseCache } = await import('../packages/express/dist/index.mjs');
  const servers = process.env.MEMWIRE_BENCH_SERVERS;
  const cache = responseCache({ memcached: { servers, env: {} }, keyPrefix: 'bench:', ttl: 3600 });
  const staticBody = JSON.stringify(products());
  // The "origin": builds the body, after a 2 ms wait standing for a database query.
  const origin = (_req, res) => {
    setTimeout(() => res.json(products()), 2);
  };
  const app = express();
  app.get('/static', (_req, res) => res.type('application/json').send(staticBody));
  app.get('/cached', cache, origin);
  app.get('/uncached', origin);
  app.get('/apicache', apicache.options({ debug: false }).middleware('1 hour'), origin);
  const { default: Fastify } = await import('fastify');
  const { responseCache: fastifyCache } = await import('../packages/fastify/dist/index.mjs');
  const fastify = Fastify();
  fastify.get('/static', (_request, reply) => reply.type('application/json').send(staticBody));
  const fastifyOrigin = async () => {
    await new Promise((resolve) => setTimeout(resolve, 2));
    return products();
  };
  fastify.get('/uncached', fastifyOrigin);
  // In a context of its own: the plugin (fastify-plugin) covers every route where it is registered.
  await fastify.register(async (cached) => {
    await cached.register(fastifyCache, {
      memcached: { servers, env: {} },
      keyPrefix: 'bench-fastify:',
      ttl: 3600,
    });
    cached.get('/cached', fastifyOrigin);
  });
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const server = app.listen(0, '127.0.0.1', () =>
    process.send({ ports: { express: server.address().port, fastify: fastify.server.address().port } }),
  );
  process.on('message', async (message) => {
    if (message !== 'stop') return;
    server.close();
    server.closeAllConnections();
    await cache.close();
    await fastify.close();
    apicache.clear();
    process.exit(0);
  });
}

// ---- the run (parent process) --------------------------------------------------------------------

async function main() {
  const flags = parseFlags(USAGE, ['quick', 'json', 'duration', 'warmup', 'connections', 'rounds']);
  const quick = flags.flag('quick');
  const duration = Number(flags.opt('duration') ?? (quick ? 3 : 10));
  const warmup = Number(flags.opt('warmup') ?? (quick ? 1 : 2));
  const connections = Number(flags.opt('connections') ?? 50);
  const rounds = Number(flags.opt('rounds') ?? (quick ? 1 : 3));
  const log = (line) => process.stderr.write(`${line}\n`);
  const { default: autocannon } = await import('autocannon');

  // The server library ends memcached by pid on exit, so an interrupted run only has the app to end.
  const memcached = await startMemcached();
  let app;
  process.on('SIGINT', () => {
    app?.kill('SIGKILL');
    process.exit(130);
  });
  try {
    app = fork(fileURLToPath(import.meta.url), ['--serve'], {
      env: { ...process.env, MEMWIRE_BENCH_SERVERS: `127.0.0.1:${memcached.port}` },
    });
    const [{ ports }] = await once(app, 'message');
    const url = (route) => `http://127.0.0.1:${ports[route.app]}${route.path}`;
    for (const route of ROUTES) {
      const check = await fetch(url(route));
      if (check.status !== 200) throw new Error(`${route.app} ${route.path} answered ${check.status}`);
      await check.arrayBuffer();
    }
    for (const route of ROUTES.filter((r) => r.path === '/cached')) {
      const hit = await fetch(url(route));
      if (hit.headers.get('x-cache') !== 'HIT')
        throw new Error(`${route.app} /cached is not a hit: ${hit.headers.get('x-cache')}`);
      await hit.arrayBuffer();
    }

    const samples = new Map(ROUTES.map((route) => [route, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const route of ROUTES) {
        log(
          `round ${round}/${rounds} ${route.app} ${route.path}: warm-up ${warmup} s, then ${duration} s, ${connections} connections`,
        );
        await run(autocannon, { url: url(route), connections, duration: warmup });
        const result = await run(autocannon, { url: url(route), connections, duration });
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(`${route.path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        }
        samples.get(route).push(result);
      }
    }
    const results = ROUTES.map((route) => {
      const sorted = samples.get(route).sort((a, b) => a.requests.average - b.requests.average);
      const median = sorted[Math.floor(sorted.length / 2)];
      return {
        ...route,
        requestsPerSecond: Math.round(median.requests.average),
        rounds: sorted.map((result) => Math.round(result.requests.average)),
        latencyP50: median.latency.p50,
        latencyP99: median.latency.p99,
        throughputMBps: Math.round((median.throughput.average / 1e6) * 10) / 10,
      };
    });
    const staticRates = Object.fromEntries(
      results.filter((r) => r.path === '/static').map((r) => [r.app, r.requestsPerSecond]),
    );
    const report = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      connections,
      duration,
      rounds,
      results: results.map((r) => ({
        ...r,
        // Against the static route of the same framework.
        vsStatic: Math.round((r.requestsPerSecond / staticRates[r.app]) * 100) / 100,
      })),
    };
    if (flags.flag('json')) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(
        `${report.date} · ${report.machine} · Node ${report.node} · ${connections} connections, ` +
          `${rounds} round(s) of ${duration} s per route, median round\n`,
      );
      console.log('| route | req/s | vs static | p50 ms | p99 ms | MB/s | every round (req/s) |');
      console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
      for (const r of report.results) {
        console.log(
          `| ${r.label} | ${r.requestsPerSecond} | ${r.vsStatic.toFixed(2)} | ${r.latencyP50} | ${r.latencyP99} | ` +
            `${r.throughputMBps} | ${r.rounds.join(', ')} |`,
        );
      }
    }
    app.send('stop');
    await once(app, 'exit');
  } finally {
    app?.kill('SIGKILL');
    await memcached.stop();
  }
}

function run(autocannon, options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}
