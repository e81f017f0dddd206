// A hot URL's miss under concurrency through @memwire/http-cache's engine: the meta protocol
// (`protocol: 'auto'` on memcached ≥ 1.6.10) against the classic one (`protocol: 'classic'`), in one
// run against one memcached. It asserts nothing; see bench/README.md ("http-cache: a hot URL's miss")
// for the figures.
//
// Usage: USAGE below (`node bench/http-lease.mjs --help`); build first (`npm run build`).
//
// Each round misses a fresh URL: `--requests` concurrent requests spread over `--clients` caches
// (each its own client, as separate processes behind one load balancer would be), the origin taking
// `--origin` ms. The requests go straight to the engine (`HttpCache.begin`, then the exchange's
// `onHead` and `finish` as an adapter calls them), so no HTTP server's time is in the figures. Per
// round it counts the origin calls, the client's commands (the `memwire:command` diagnostics channel:
// one per command written, whatever the protocol) and memcached's own `stats` deltas, and times every
// request from `begin` to its response (served, or the origin's answer). The two paths alternate
// round by round, so a drift in the machine's load hits both alike.
import { createClient, rawCodec } from '@memwire/core';
import { exitOnSignal, parseFlags, runMeta, sleep, startMemcached, stopAllMemcached } from './lib.mjs';
import {
  alternatingRounds,
  commandCounter,
  latencySummary,
  meanOf,
  meansByName,
  serverCounts,
  serverDelta,
} from './misses.mjs';

const USAGE = `usage: node bench/http-lease.mjs [options]

  (no options)        40 rounds per path: 50 requests over 2 clients, a 20 ms origin
  --quick             10 rounds per path
  --json              results as JSON on stdout (progress on stderr)
  --rounds=N --requests=N --clients=N --origin=MS
  --poll=MS           the caches' lockPollInterval (default: the cache's, 20)
  --help              this text

  MEMCACHED_BIN=/path/memcached   the memcached to start
`;

const flags = parseFlags(USAGE, ['quick', 'json', 'rounds', 'requests', 'clients', 'origin', 'poll']);
const rounds = Number(flags.opt('rounds') ?? (flags.flag('quick') ? 10 : 40));
const requests = Number(flags.opt('requests') ?? 50);
const clients = Number(flags.opt('clients') ?? 2);
const originMs = Number(flags.opt('origin') ?? 20);
const pollMs = flags.opt('poll') === undefined ? undefined : Number(flags.opt('poll'));
const PATHS = [
  { name: 'meta (protocol auto)', protocol: 'auto' },
  { name: 'classic', protocol: 'classic' },
];
const BODY = Buffer.from('x'.repeat(2048));
const HEAD = { status: 200, headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' } };

exitOnSignal();

/** One request through the engine, as an adapter runs it; the origin is a timer. */
async function request(cache, url, origin) {
  const exchange = await cache.begin({ method: 'GET', url, headers: { host: 'shop.test' }, scheme: 'http' });
  if (exchange.kind === 'serve') return exchange.cacheStatus;
  await origin();
  if (exchange.kind === 'fetch') {
    exchange.onHead(HEAD);
    // After the response went out, as the adapters do: storing is not the client's wait.
    setImmediate(() => exchange.finish({ ...HEAD, body: BODY }));
  }
  return exchange.cacheStatus;
}

/**
 * `clients` caches on one key prefix, as long-lived processes hold them: connected, and the
 * server's protocol known (one warm-up request each) before any round.
 */
async function cachesOf(HttpCache, address, path) {
  const keyPrefix = `bench-lease-${path.protocol}:`;
  const caches = Array.from({ length: clients }, () => {
    const client = createClient({
      env: {},
      servers: address,
      hashLongKeys: true,
      codec: rawCodec,
      protocol: path.protocol,
    });
    return { client, cache: new HttpCache(client, { keyPrefix, lockPollInterval: pollMs }) };
  });
  await Promise.all(caches.map(({ cache }, i) => request(cache, `/warm-up-${i}`, () => sleep(1))));
  await Promise.all(caches.map(({ cache }) => cache.settled()));
  return caches;
}

async function round(caches, index, counter, admin) {
  const url = `/hot-${index}`;
  const before = await serverCounts(admin);
  counter.take();
  let originCalls = 0;
  const origin = async () => {
    originCalls += 1;
    await sleep(originMs);
  };
  const statuses = {};
  const latencies = await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const started = performance.now();
      const status = await request(caches[i % clients].cache, url, origin);
      statuses[status] = (statuses[status] ?? 0) + 1;
      return performance.now() - started;
    }),
  );
  await Promise.all(caches.map(({ cache }) => cache.settled()));
  const commands = counter.take();
  const server = await serverDelta(admin, before);
  return { latencies, originCalls, commands, server, statuses };
}

function summarize(results) {
  const mean = (pick) => meanOf(results, pick);
  return {
    originCallsPerMiss: mean((r) => r.originCalls),
    commandsPerMiss: mean((r) => Object.values(r.commands).reduce((a, b) => a + b, 0)),
    commandsByName: meansByName(results, (r) => r.commands),
    serverPerMiss: meansByName(results, (r) => r.server),
    statuses: meansByName(results, (r) => r.statuses),
    ...latencySummary(results),
  };
}

async function main() {
  const { HttpCache } = await import('@memwire/http-cache');
  const server = await startMemcached();
  const admin = createClient({ env: {}, servers: server.address });
  const counter = commandCounter();
  let results;
  const caches = new Map();
  try {
    for (const path of PATHS) caches.set(path.name, await cachesOf(HttpCache, server.address, path));
    results = await alternatingRounds(PATHS, rounds, (path, i) =>
      round(caches.get(path.name), i, counter, admin),
    );
  } finally {
    await Promise.all([...caches.values()].flat().map(({ client }) => client.close()));
    await admin.close();
    await stopAllMemcached();
  }
  const summary = Object.fromEntries([...results].map(([name, list]) => [name, summarize(list)]));
  const meta = runMeta(
    { durationMs: undefined, warmupMs: undefined },
    { rounds, requests, clients, originMs, pollMs },
  );
  if (flags.flag('json')) {
    process.stdout.write(`${JSON.stringify({ meta, summary }, null, 2)}\n`);
    return;
  }
  console.log(`${meta.date} node ${meta.node} ${meta.cpu} × ${meta.cores}, ${meta.memcached}`);
  console.log(
    `${rounds} rounds per path: ${requests} requests over ${clients} clients, ${originMs} ms origin, lockPollInterval ${pollMs ?? 'default'}\n`,
  );
  const fixed = (n) => n.toFixed(1);
  console.log(
    '| path | origin calls / miss | client commands / miss | memcached commands / miss | p50 ms | p90 ms | p99 ms | max ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, s] of Object.entries(summary)) {
    const serverTotal = Object.values(s.serverPerMiss).reduce((a, b) => a + b, 0);
    console.log(
      `| ${name} | ${fixed(s.originCallsPerMiss)} | ${fixed(s.commandsPerMiss)} | ${fixed(serverTotal)} | ${fixed(s.p50)} | ${fixed(s.p90)} | ${fixed(s.p99)} | ${fixed(s.max)} |`,
    );
  }
  console.log('');
  const list = (object) =>
    Object.entries(object)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${fixed(n)}`)
      .join(', ');
  for (const [name, s] of Object.entries(summary)) {
    console.log(
      `${name}: client ${list(s.commandsByName)}; memcached ${list(s.serverPerMiss)}; ${list(s.statuses)}`,
    );
  }
}

main().catch(async (error) => {
  console.error(error);
  await stopAllMemcached();
  process.exit(1);
});
