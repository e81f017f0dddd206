#!/usr/bin/env node
// Builds of @memwire/core taking turns in one process: the way a change's effect on rate and client CPU
// is measured here (a process's rate on this shared 2-core machine moves with its scheduling; turns in
// one process see the same moments). Usage: USAGE below. A benchmark, not a test: it asserts nothing.
// It starts its own memcached and ends it by pid.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exitOnSignal, log, parseFlags, printableValue, runMeta, startMemcached } from './lib.mjs';

const USAGE = `usage: node bench/builds.mjs --builds=<dist/index.mjs>,<dist/index.mjs>[,…] [options]

  --builds=A,B,…     the builds' index.mjs (copy packages/core/dist somewhere first; this tree's
                     packages/core/dist/index.mjs may be one of them)
  --op=NAME          get | set | mix (get then set of one key, as a session) | getMany (100 keys)
                     (default get)
  --concurrency=N    operations in flight (default 50)
  --turns=N          turns per build (default 8)
  --ops=N            operations per turn (default 20000; getMany: a fiftieth as many calls)
  --threads=N        memcached worker threads (default 2)
  --servers=N        memcached processes, keys spread over them by ketama (default 1; -t 1 each when > 1,
                     as bench/cluster.mjs runs them)
  --pool-size=N      connections per server (default: the core's)
  --help             this text
`;
const flags = parseFlags(USAGE, [
  'builds',
  'op',
  'concurrency',
  'turns',
  'ops',
  'threads',
  'servers',
  'pool-size',
]);
const BUILDS = (flags.opt('builds') ?? '').split(',').filter(Boolean);
if (BUILDS.length < 1) {
  process.stderr.write(`--builds is required\n\n${USAGE}`);
  process.exit(2);
}
/** A whole-number flag of at least 1, or its default; anything else ends the run with the usage. */
function count(name, fallback) {
  const text = flags.opt(name);
  const value = text === undefined ? fallback : Number(text);
  if (value === undefined || (Number.isInteger(value) && value >= 1)) return value;
  process.stderr.write(`--${name} must be a whole number of at least 1, got ${text}\n\n${USAGE}`);
  process.exit(2);
}
const OP = flags.opt('op') ?? 'get';
const CONCURRENCY = count('concurrency', 50);
const TURNS = count('turns', 8);
const SERVERS = count('servers', 1);
const POOL_SIZE = count('pool-size', undefined);
const POOL = POOL_SIZE === undefined ? {} : { poolSize: POOL_SIZE };
const THREADS = count('threads', SERVERS > 1 ? 1 : 2);
const KEYSPACE = 1000;
const VALUE = printableValue(100);
const keyOf = (i) => `builds:${i % KEYSPACE}`;
const MANY = Array.from({ length: 10 }, (_, s) => Array.from({ length: 100 }, (_, j) => keyOf(s * 100 + j)));
const OPS = {
  get: (c, i) => c.get(keyOf(i)),
  set: (c, i) => c.set(keyOf(i), VALUE),
  mix: async (c, i) => {
    const key = keyOf(i * 7919);
    await c.set(key, await c.get(key));
  },
  getMany: (c, i) => c.getMany(MANY[i % 10]),
};
const op = OPS[OP];
if (op === undefined) {
  process.stderr.write(`unknown --op=${OP}\n\n${USAGE}`);
  process.exit(2);
}
const PER_TURN = count('ops', 20_000) / (OP === 'getMany' ? 50 : 1);

exitOnSignal();

async function turn(client) {
  let next = 0;
  const usage = process.cpuUsage();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PER_TURN) await op(client, next++);
    }),
  );
  const cpu = process.cpuUsage(usage);
  return { ms: performance.now() - began, cpu: cpu.user + cpu.system };
}

async function main() {
  const meta = runMeta({ quick: false, warmupMs: 0, durationMs: 0 }, {});
  const servers = [];
  const clients = [];
  try {
    // One at a time into `servers`, so those already started are stopped below if a later one fails.
    for (let i = 0; i < SERVERS; i++)
      servers.push(await startMemcached({ memoryMb: SERVERS > 1 ? 64 : 256, threads: THREADS }));
    const list = servers.map((server) => server.address).join(',');
    for (const path of BUILDS) {
      const { createClient } = await import(pathToFileURL(resolve(path)).href);
      clients.push({ path, client: createClient({ servers: list, env: {}, ...POOL }) });
    }
    for (let i = 0; i < KEYSPACE; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => clients[0].client.set(keyOf(i + j), VALUE)));
    const sums = clients.map(() => ({ ms: 0, cpu: 0 }));
    for (let t = -1; t < TURNS; t++) {
      const order = clients.map((_, i) => i);
      if (t % 2 !== 0) order.reverse();
      for (const i of order) {
        const { ms, cpu } = await turn(clients[i].client);
        if (t < 0) continue; // the warm-up turn
        sums[i].ms += ms;
        sums[i].cpu += cpu;
      }
    }
    const total = PER_TURN * TURNS;
    console.log(
      `# ${OP} at c=${CONCURRENCY}, ${TURNS} turns of ${PER_TURN} per build (${meta.date}, node ${meta.node}, ${meta.cpu} ×${meta.cores}, ${SERVERS} × ${meta.memcached} -t ${THREADS})\n`,
    );
    console.log('| build | ops/s | client CPU µs/op | rate ÷ the first build |');
    console.log('|---|---:|---:|---:|');
    clients.forEach(({ path }, i) => {
      const rate = (total * 1000) / sums[i].ms;
      console.log(
        `| ${path} | ${Math.round(rate).toLocaleString('en-US')} | ${(sums[i].cpu / total).toFixed(2)} | ${(sums[0].ms / sums[i].ms).toFixed(2)}× |`,
      );
    });
  } finally {
    for (const { client } of clients) await client.close();
    for (const server of servers) await server.stop();
  }
  process.exit(0);
}

main().catch((error) => {
  log(error);
  process.exit(1);
});
