#!/usr/bin/env node
// poolSize 1 against 2 (and the raw loop for getMany), in one process taking turns, so both settings
// see the same moments of a shared machine. Usage: USAGE below; bench/README.md ("How the default
// poolSize was chosen") has the figures. A benchmark, not a test: it asserts nothing. It starts its own
// memcached and ends it by pid.
import { existsSync } from 'node:fs';
import { exitOnSignal, log, parseFlags, printableValue, runMeta, startMemcached } from './lib.mjs';
import { RawClient } from './raw-client.mjs';

const USAGE = `usage: node bench/pool-size.mjs [options]

  --threads=N        memcached worker threads (default 2)
  --concurrency=N    operations in flight (default 50)
  --turns=N          turns per setting and cell (default 12; --quick 2)
  --ops=N            operations per turn (default 20000; getMany: a fiftieth as many calls)
  --quick            short run
  --help             this text
`;
const flags = parseFlags(USAGE, ['threads', 'concurrency', 'turns', 'ops', 'quick']);
const quick = flags.flag('quick');
const THREADS = Number(flags.opt('threads') ?? 2);
const CONCURRENCY = Number(flags.opt('concurrency') ?? 50);
const TURNS = Number(flags.opt('turns') ?? (quick ? 2 : 12));
const OPS = Number(flags.opt('ops') ?? (quick ? 5000 : 20_000));
const KEYSPACE = 1000;
const VALUE = printableValue(100);
const keyOf = (i) => `pool:${i % KEYSPACE}`;
const MANY = Array.from({ length: 10 }, (_, s) => Array.from({ length: 100 }, (_, j) => keyOf(s * 100 + j)));
const CELLS = {
  get: { ops: OPS, run: (c, i) => c.get(keyOf(i)) },
  set: { ops: OPS, run: (c, i) => c.set(keyOf(i), VALUE) },
  // A session's request: load a value, then save it back.
  'get+set': {
    ops: OPS,
    run: async (c, i) => {
      const key = keyOf(i * 7919);
      await c.set(key, await c.get(key));
    },
  },
  getMany: { ops: Math.max(1, Math.round(OPS / 50)), run: (c, i) => c.getMany(MANY[i % 10]), raw: true },
};

exitOnSignal();

async function turn(client, cell) {
  let next = 0;
  const usage = process.cpuUsage();
  const began = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cell.ops) await cell.run(client, next++);
    }),
  );
  const cpu = process.cpuUsage(usage);
  return { ms: performance.now() - began, cpu: cpu.user + cpu.system };
}

async function main() {
  const dist = new URL('../packages/core/dist/index.mjs', import.meta.url);
  if (!existsSync(dist)) throw new Error('packages/core/dist not found: npm run build first');
  const { createClient } = await import(dist.href);
  const meta = runMeta({ quick, warmupMs: 0, durationMs: 0 }, { threads: THREADS, concurrency: CONCURRENCY });
  const server = await startMemcached({ memoryMb: 256, threads: THREADS });
  const raw = new RawClient(server.port);
  const settings = {
    'poolSize 1': createClient({ servers: server.address, env: {}, poolSize: 1 }),
    'poolSize 2': createClient({ servers: server.address, env: {}, poolSize: 2 }),
  };
  try {
    await raw.connect();
    for (let i = 0; i < KEYSPACE; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => settings['poolSize 1'].set(keyOf(i + j), VALUE)),
      );
    console.log(
      `# poolSize 1 vs 2 (${meta.date}, node ${meta.node}, ${meta.cpu} ×${meta.cores}, ${meta.memcached} -t ${THREADS}), c=${CONCURRENCY}, ${TURNS} turns each`,
    );
    console.log('\n| cell | poolSize 1: ops/s · client CPU µs/op | poolSize 2 | raw loop | 1 ÷ 2, rate |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, cell] of Object.entries(CELLS)) {
      const clients = { ...settings, ...(cell.raw ? { raw } : {}) };
      const names = Object.keys(clients);
      const sums = Object.fromEntries(names.map((n) => [n, { ms: 0, cpu: 0 }]));
      for (let t = -1; t < TURNS; t++) {
        for (const n of t % 2 === 0 ? names : [...names].reverse()) {
          const { ms, cpu } = await turn(clients[n], cell);
          if (t < 0) continue; // the warm-up turn
          sums[n].ms += ms;
          sums[n].cpu += cpu;
        }
      }
      const total = cell.ops * TURNS;
      const show = (n) =>
        sums[n] === undefined
          ? '—'
          : `${Math.round((total * 1000) / sums[n].ms).toLocaleString('en-US')} · ${(sums[n].cpu / total).toFixed(2)}`;
      const ratio = sums['poolSize 2'].ms / sums['poolSize 1'].ms;
      console.log(
        `| ${name} | ${show('poolSize 1')} | ${show('poolSize 2')} | ${show('raw')} | ${ratio.toFixed(2)}× |`,
      );
      log(`${name} done`);
    }
  } finally {
    raw.close();
    for (const client of Object.values(settings)) await client.close();
    await server.stop();
  }
  process.exit(0);
}

main().catch((error) => {
  log(error);
  process.exit(1);
});
