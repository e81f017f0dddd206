// `npm run demo`: runs examples/express-app on port 3000 (or PORT; another free port when it is busy)
// against MEMCACHE_SERVERS, or, when that is unset, a memcached started for the demo; prints the URLs to
// try and a live line of the cache's hits and misses. Ctrl-C (SIGINT) or SIGTERM stops the app and the
// memcached it started, by its pid.
//
// `npm run demo -- --check` (`node scripts/demo.mjs --check`): the same, then two requests for the slow
// report, which must be a MISS and then a HIT with the same body; prints the result and exits 0, or 1.
//
// Plain ESM on Node 20 or later. It imports the built packages: `npm run demo` builds them first.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { startMemcached } from '../test/support/servers/index.mjs';
import { watchCacheStatus } from './demo-status.mjs';

const DEFAULT_PORT = 3000;
const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
if (args.some((arg) => arg !== '--check')) {
  console.error('usage: node scripts/demo.mjs [--check]');
  process.exit(2);
}

// What this run has started so far, for stop(): a signal may come at any point.
let local;
let running;
let server;
let status;
let stopping = false;
// Stopping the demo is its normal end; stopping a check before it could say ok is a failure.
process.once('SIGINT', () => void stop('SIGINT', checkOnly ? 130 : 0));
process.once('SIGTERM', () => void stop('SIGTERM', checkOnly ? 143 : 0));

const createApp = await importApp();
const fromEnv = Boolean(process.env.MEMCACHIER_SERVERS?.trim() || process.env.MEMCACHE_SERVERS?.trim());
if (!fromEnv) local = await startMemcached();
// A memcached started here needs no login: ignore the environment's credentials, if any.
const memcached = local === undefined ? {} : { servers: local.address, env: false };
// biome-ignore lint/suspicious/noUndeclaredEnvVars: npm runs the demo, not turbo
const apiKey = process.env.CACHE_API_KEY || `demo-${randomBytes(6).toString('hex')}`;
running = await createApp({ memcached, cacheApiKey: apiKey });
server = createServer(running.app);
const { port, busy } = await listen(server, requestedPort()).catch((error) => {
  console.error(`memwire demo: cannot listen: ${error.code ?? error.message}`);
  return stop(undefined, 1);
});
const base = `http://localhost:${port}`;

console.log(
  local === undefined
    ? `memwire demo: memcached ${running.cache.client.servers.join(', ')} (from the environment)`
    : `memwire demo: started memcached at ${local.address} (pid ${local.pid}); set MEMCACHE_SERVERS to use yours`,
);
console.log(`express-app: listening on ${base}${busy === undefined ? '' : ` (port ${busy} is busy)`}`);

if (!checkOnly) printTry();
status = watchCacheStatus(server, checkOnly ? { live: false } : undefined);
if (checkOnly) await stop(undefined, (await check()) ? 0 : 1);

/**
 * Stops what this run started: the HTTP server, the app's memcached clients, then the memcached (by
 * its pid). Exits with `code`.
 */
async function stop(signal, code = 0) {
  if (stopping) return;
  stopping = true;
  // A second Ctrl-C while closing gives up waiting; the memcached still goes (the server library's exit hook).
  process.once('SIGINT', () => process.exit(130));
  status?.pause();
  if (signal !== undefined) console.log(`${signal}: stopping${status ? ` (${status.summary()})` : ''}`);
  server?.close();
  server?.closeAllConnections();
  await running?.close().catch(() => {});
  await local?.stop();
  console.log(local === undefined ? 'stopped the app' : `stopped the app and memcached (pid ${local.pid})`);
  process.exit(code);
}

/** The slow report twice: a MISS, then a HIT with the same body. */
async function check() {
  // A path of this run's own, so a report cached by an earlier run cannot answer the first request.
  const path = `/report?check=${randomBytes(4).toString('hex')}`;
  try {
    const first = await timedGet(`http://127.0.0.1:${port}${path}`);
    const second = await timedGet(`http://127.0.0.1:${port}${path}`);
    const problems = [];
    if (first.status !== 200 || second.status !== 200)
      problems.push(`statuses ${first.status}, ${second.status}`);
    if (first.cache !== 'MISS')
      problems.push(`the first request was ${first.cache ?? 'not cached'}, not a MISS`);
    if (second.cache !== 'HIT')
      problems.push(`the second request was ${second.cache ?? 'not cached'}, not a HIT`);
    if (second.body !== first.body) problems.push('the second body differs from the first');
    if (status.counts.MISS !== 1 || status.counts.HIT !== 1)
      problems.push(`the live line counted ${status.summary()}`);
    if (problems.length > 0) {
      console.log(`demo check: FAILED: ${problems.join('; ')}`);
      return false;
    }
    console.log(
      `demo check: ok: GET /report was a MISS (${first.ms} ms, built by the app), ` +
        `then a HIT (${second.ms} ms, from memcached) with the same body`,
    );
    return true;
  } catch (error) {
    console.log(`demo check: FAILED: ${error.message}`);
    return false;
  }
}

async function timedGet(url) {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    body,
    ms: Math.round(performance.now() - started),
  };
}

function printTry() {
  const json = `-H 'content-type: application/json'`;
  const key = `-H 'x-api-key: ${apiKey}'`;
  console.log(`
Try (the line at the bottom counts the X-Cache of every response):

  # slow the first time (half a second, X-Cache: MISS), then a HIT from memcached
  curl -i ${base}/report
  # private: each user gets their own page, never shared and never from the cache
  curl -i -b user=ada ${base}/me
  curl -i -b user=bob ${base}/me
  # tagged "products": a MISS, then HITs until a sale invalidates the tag
  curl -i ${base}/products/1
  curl -i -X POST ${json} -d '{"percent": 10}' ${base}/sale
  # memcached as a REST API, behind an API key (CACHE_API_KEY, else made up for this run)
  curl -i -X PUT ${key} ${json} -d '{"value": "hello", "ttl": 60}' ${base}/cache/greeting
  curl -i ${key} ${base}/cache/greeting
  curl -i ${base}/cache/greeting      # 401 without the key

Ctrl-C stops the app${local === undefined ? '' : ' and the memcached started for it'}.
`);
}

/** PORT, or 3000. */
function requestedPort() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: npm runs the demo, not turbo
  const text = process.env.PORT?.trim();
  if (!text) return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`memwire demo: PORT=${text} is not a port number`);
    process.exit(2);
  }
  return port;
}

/** Listens on `port`, or on a free one when it is taken: `{ port, busy }`, busy naming the taken one. */
async function listen(server, port) {
  try {
    return { port: await listenOn(server, port), busy: undefined };
  } catch (error) {
    if (error.code !== 'EADDRINUSE' || port === 0) throw error;
    return { port: await listenOn(server, 0), busy: port };
  }
}

function listenOn(server, port) {
  return new Promise((resolve, reject) => {
    // Both listeners go either way: a failed listen's 'listening' callback would fire on the next one.
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    const onError = (error) => {
      server.off('listening', onListening);
      reject(error);
    };
    server.once('listening', onListening);
    server.once('error', onError);
    server.listen(port);
  });
}

/** examples/express-app's createApp, or a message saying what to run first. */
async function importApp() {
  try {
    return (await import('../examples/express-app/app.mjs')).createApp;
  } catch (error) {
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.error(
      `memwire demo: ${error.message}\nrun \`npm install\` and \`npm run build\` first (\`npm run demo\` does both)`,
    );
    process.exit(1);
  }
}
