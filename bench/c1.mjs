#!/usr/bin/env node
// Concurrency 1, every client in one process, taking turns in short blocks: what a lone caller waits
// for per command, compared where the comparison holds. Usage: USAGE below; bench/README.md
// ("Concurrency 1, interleaved") says why this is not simply bench/core.mjs's c=1 column.
//
// A benchmark, not a test: it asserts nothing. It starts its own memcached and ends it by pid.
import { ADAPTERS } from './clients.mjs';
import { exitOnSignal, log, parseFlags, printableValue, runMeta, startMemcached } from './lib.mjs';

const USAGE = `usage: node bench/c1.mjs [options]

  --blocks=N               turns per client and operation (default 20; --quick 4)
  --ops=N                  operations per turn (default 1000; getMany: a tenth as many calls)
  --clients=memwire,...    only these clients (raw, memwire, memjs, memcached, memcache-client)
  --quick                  short run
  --json                   the results as JSON on stdout (progress goes to stderr)
  --help                   this text
`;
const flags = parseFlags(USAGE, ['blocks', 'ops', 'clients', 'quick', 'json']);
const quick = flags.flag('quick');
const BLOCKS = Number(flags.opt('blocks') ?? (quick ? 4 : 20));
const OPS = Number(flags.opt('ops') ?? 1000);
const ONLY = flags.opt('clients')?.split(',').filter(Boolean);
const CLIENTS = ['raw', 'memwire', 'memjs', 'memcached', 'memcache-client'].filter(
  (name) => ONLY === undefined || ONLY.includes(name),
);
const PEERS = ['memjs', 'memcached', 'memcache-client'];
const KEYSPACE = 1000;
const VALUE = printableValue(100);
const keyOf = (i) => `c1:${i % KEYSPACE}`;
const MANY_KEYSETS = Array.from({ length: 10 }, (_, s) =>
  Array.from({ length: 100 }, (_, j) => keyOf(s * 100 + j)),
);
const OPERATIONS = {
  get: { calls: OPS, run: (client, i) => client.get(keyOf(i)) },
  set: { calls: OPS, run: (client, i) => client.set(keyOf(i), VALUE) },
  getMany: {
    calls: Math.max(1, Math.round(OPS / 10)),
    run: (client, i) => client.getMany(MANY_KEYSETS[i % 10]),
  },
};

exitOnSignal();

/** One turn: `calls` operations one after another; its wall time and this process's CPU time. */
async function turn(client, operation) {
  const usage = process.cpuUsage();
  const began = performance.now();
  for (let i = 0; i < operation.calls; i++) await operation.run(client, i);
  const wallMs = performance.now() - began;
  const cpu = process.cpuUsage(usage);
  return { wallMs, cpuMicros: cpu.user + cpu.system };
}

async function main() {
  const meta = runMeta({ quick, warmupMs: 0, durationMs: 0 }, { blocks: BLOCKS, ops: OPS });
  const server = await startMemcached({ memoryMb: 256, threads: 2 });
  const clients = [];
  try {
    for (const name of CLIENTS) {
      const client = await ADAPTERS[name].create(server.port);
      if (client.skip) log(`${name}: skipped: ${client.skip}`);
      else clients.push({ name, label: ADAPTERS[name].label, client });
    }
    for (const { client } of clients) {
      for (let i = 0; i < KEYSPACE; i += 50)
        await Promise.all(Array.from({ length: 50 }, (_, j) => client.set(keyOf(i + j), VALUE)));
    }
    const results = {};
    for (const [op, operation] of Object.entries(OPERATIONS)) {
      const totals = Object.fromEntries(
        clients.map(({ name }) => [name, { wallMs: 0, cpuMicros: 0, rates: [] }]),
      );
      // One warm-up turn each, then BLOCKS turns each, the order reversed every other round so that no
      // client always follows the same one.
      for (let block = -1; block < BLOCKS; block++) {
        const order = block % 2 === 0 ? clients : [...clients].reverse();
        for (const { name, client } of order) {
          const { wallMs, cpuMicros } = await turn(client, operation);
          if (block < 0) continue;
          const total = totals[name];
          total.wallMs += wallMs;
          total.cpuMicros += cpuMicros;
          total.rates.push((operation.calls * 1000) / wallMs);
        }
      }
      results[op] = Object.fromEntries(
        Object.entries(totals).map(([name, t]) => {
          const calls = operation.calls * BLOCKS;
          const rates = [...t.rates].sort((a, b) => a - b);
          return [
            name,
            {
              opsPerSec: (calls * 1000) / t.wallMs,
              medianTurnOpsPerSec: rates[Math.floor(rates.length / 2)],
              cpuMicrosPerOp: t.cpuMicros / calls,
            },
          ];
        }),
      );
      log(
        `${op}: ${clients.map(({ name }) => `${name} ${Math.round(results[op][name].opsPerSec)}/s`).join(', ')}`,
      );
    }
    report(meta, clients, results);
  } finally {
    for (const { name, client } of clients) {
      try {
        await client.close();
      } catch (error) {
        log(`${name}: close failed: ${error.message}`);
      }
    }
    await server.stop();
  }
  process.exit(0);
}

function report(meta, clients, results) {
  const ratios = {};
  for (const [op, byClient] of Object.entries(results)) {
    const ours = byClient.memwire?.opsPerSec;
    const best = PEERS.filter((p) => byClient[p]).sort(
      (a, b) => byClient[b].opsPerSec - byClient[a].opsPerSec,
    )[0];
    ratios[op] = {
      memwireOverRaw: ours && byClient.raw ? ours / byClient.raw.opsPerSec : undefined,
      bestPeer: best,
      memwireOverBestPeer: ours && best ? ours / byClient[best].opsPerSec : undefined,
    };
  }
  if (flags.flag('json')) {
    process.stdout.write(`${JSON.stringify({ meta, results, ratios }, null, 2)}\n`);
    return;
  }
  const ratio = (r) => (r === undefined ? '—' : `${r.toFixed(2)}×`);
  const out = [
    `# concurrency 1, interleaved (${meta.date}, node ${meta.node}, ${meta.cpu} ×${meta.cores}, ${meta.memcached})`,
    '',
    `${BLOCKS} turns of ${OPS} operations (getMany: ${OPERATIONS.getMany.calls} calls of 100 keys) per client, in one process, taking turns.`,
    '',
    '| client | get /s | set /s | getMany /s | CPU µs per get / set / getMany |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const { name, label } of clients) {
    const r = (op) => results[op][name];
    out.push(
      `| ${label} | ${Math.round(r('get').opsPerSec).toLocaleString('en-US')} | ${Math.round(r('set').opsPerSec).toLocaleString('en-US')} | ${Math.round(r('getMany').opsPerSec).toLocaleString('en-US')} | ${r('get').cpuMicrosPerOp.toFixed(1)} / ${r('set').cpuMicrosPerOp.toFixed(1)} / ${r('getMany').cpuMicrosPerOp.toFixed(1)} |`,
    );
  }
  out.push(
    `| **memwire / raw** | ${ratio(ratios.get.memwireOverRaw)} | ${ratio(ratios.set.memwireOverRaw)} | ${ratio(ratios.getMany.memwireOverRaw)} | |`,
    `| **memwire / best peer** | ${ratio(ratios.get.memwireOverBestPeer)} (${ratios.get.bestPeer}) | ${ratio(ratios.set.memwireOverBestPeer)} (${ratios.set.bestPeer}) | ${ratio(ratios.getMany.memwireOverBestPeer)} (${ratios.getMany.bestPeer}) | |`,
  );
  console.log(out.join('\n'));
}

main().catch((error) => {
  log(error);
  process.exit(1);
});
