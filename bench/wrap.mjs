// A hot key's miss under concurrency through @memwire/cache-manager's `wrap` with `lock: true`: the
// meta protocol's lease (`protocol: 'auto'` on memcached ≥ 1.6.10) against the add-lock and polling
// (`protocol: 'classic'`), in one run against one memcached. It asserts nothing; see bench/README.md
// ("cache-manager wrap: a hot key's miss") for the figures.
//
// Usage: USAGE below (`node bench/wrap.mjs --help`); build first (`npm run build`).
//
// Each round misses a fresh key: `--callers` concurrent `wrap` calls spread over `--clients` caches
// (each its own client and in-process coalescing, as separate processes would be), the function taking
// `--compute` ms. Per round it counts the computations, the client's commands (the `memwire:command`
// diagnostics channel: one per command written, whatever the protocol) and memcached's own `stats`
// deltas, and times every caller from its call to its answer. The two paths alternate round by round,
// so a drift in the machine's load hits both alike.
import { createClient } from '@memwire/core';
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

const USAGE = `usage: node bench/wrap.mjs [options]

  (no options)        40 rounds per path: 50 callers over 2 clients, a 20 ms computation
  --quick             10 rounds per path
  --json              results as JSON on stdout (progress on stderr)
  --rounds=N --callers=N --clients=N --compute=MS
  --help              this text

  MEMCACHED_BIN=/path/memcached   the memcached to start
`;

const flags = parseFlags(USAGE, ['quick', 'json', 'rounds', 'callers', 'clients', 'compute']);
const rounds = Number(flags.opt('rounds') ?? (flags.flag('quick') ? 10 : 40));
const callers = Number(flags.opt('callers') ?? 50);
const clients = Number(flags.opt('clients') ?? 2);
const computeMs = Number(flags.opt('compute') ?? 20);
const PATHS = [
  { name: 'lease (meta: mg … N)', protocol: 'auto' },
  { name: 'add-lock + polling (classic)', protocol: 'classic' },
];

exitOnSignal();

/**
 * `clients` caches on one namespace, as long-lived processes hold them: connected, the server's
 * protocol asked (a first meta command) and the namespace's generation read before any round.
 */
async function cachesOf(createMemwireCache, address, path) {
  const namespace = `bench-wrap-${path.protocol}`;
  const caches = Array.from({ length: clients }, () =>
    createMemwireCache({ env: {}, servers: address, namespace, lock: true, protocol: path.protocol }),
  );
  await Promise.all(caches.map((cache, i) => cache.wrap(`warm-up-${i}`, () => 'warm', 60_000)));
  return caches;
}

async function round(caches, index, counter, admin) {
  const key = `hot-${index}`;
  const before = await serverCounts(admin);
  counter.take();
  let computations = 0;
  const compute = async () => {
    computations += 1;
    await sleep(computeMs);
    return { computed: Date.now() };
  };
  const latencies = await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const started = performance.now();
      await caches[i % clients].wrap(key, compute, 60_000);
      return performance.now() - started;
    }),
  );
  const commands = counter.take();
  const server = await serverDelta(admin, before);
  return { latencies, computations, commands, server };
}

function summarize(results) {
  const sum = (pick) => meanOf(results, pick);
  return {
    computationsPerRound: sum((r) => r.computations),
    commandsPerRound: sum((r) => Object.values(r.commands).reduce((a, b) => a + b, 0)),
    commandsByName: meansByName(results, (r) => r.commands),
    serverPerRound: meansByName(results, (r) => r.server),
    ...latencySummary(results),
  };
}

async function main() {
  const { createMemwireCache } = await import('@memwire/cache-manager');
  const server = await startMemcached();
  const admin = createClient({ env: {}, servers: server.address });
  const counter = commandCounter();
  let results;
  const caches = new Map();
  try {
    for (const path of PATHS) caches.set(path.name, await cachesOf(createMemwireCache, server.address, path));
    results = await alternatingRounds(PATHS, rounds, (path, i) =>
      round(caches.get(path.name), i, counter, admin),
    );
  } finally {
    await Promise.all([...caches.values()].flat().map((cache) => cache.disconnect()));
    await admin.close();
    await stopAllMemcached();
  }
  const summary = Object.fromEntries([...results].map(([name, list]) => [name, summarize(list)]));
  const meta = runMeta(
    { durationMs: undefined, warmupMs: undefined },
    { rounds, callers, clients, computeMs },
  );
  if (flags.flag('json')) {
    process.stdout.write(`${JSON.stringify({ meta, summary }, null, 2)}\n`);
    return;
  }
  console.log(`${meta.date} node ${meta.node} ${meta.cpu} × ${meta.cores}, ${meta.memcached}`);
  console.log(
    `${rounds} rounds per path: ${callers} callers over ${clients} clients, ${computeMs} ms compute\n`,
  );
  const fixed = (n) => n.toFixed(1);
  console.log(
    '| path | computations / miss | client commands / miss | memcached cmd_get + cmd_set + deletes / miss | p50 ms | p90 ms | p99 ms | max ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, s] of Object.entries(summary)) {
    const serverTotal = Object.values(s.serverPerRound).reduce((a, b) => a + b, 0);
    console.log(
      `| ${name} | ${fixed(s.computationsPerRound)} | ${fixed(s.commandsPerRound)} | ${fixed(serverTotal)} | ${fixed(s.p50)} | ${fixed(s.p90)} | ${fixed(s.p99)} | ${fixed(s.max)} |`,
    );
  }
  console.log('');
  for (const [name, s] of Object.entries(summary)) {
    const by = Object.entries(s.commandsByName)
      .map(([command, n]) => `${command} ${fixed(n)}`)
      .join(', ');
    const srv = Object.entries(s.serverPerRound)
      .filter(([, n]) => n > 0)
      .map(([stat, n]) => `${stat} ${fixed(n)}`)
      .join(', ');
    console.log(`${name}: client ${by}; memcached ${srv}`);
  }
}

main().catch(async (error) => {
  console.error(error);
  await stopAllMemcached();
  process.exit(1);
});
