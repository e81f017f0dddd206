#!/usr/bin/env node
// The meta protocol's quiet batches: setMany / deleteMany of 100 keys per call, memwire speaking meta
// (`ms … q O<i>` × 100, one `mn`: one `MN` reply for the batch) vs. the same client speaking classic
// (100 `set`s, 100 `STORED` replies), in one run on one memcached; and, as the reference, the raw
// pipelined socket sending the classic commands (bench/raw-client.mjs has no meta).
// Usage: node bench/meta.mjs [--quick] [--json] [--duration=S] [--warmup=S]
// A benchmark, not a test: nothing asserts on speed. It starts its own memcached and stops it by pid.

import {
  exitOnSignal,
  fmtCell,
  log,
  measure,
  parseFlags,
  printableValue,
  runMeta,
  startMemcached,
  timingFlags,
} from './lib.mjs';

const USAGE = `usage: node bench/meta.mjs [--quick] [--json] [--duration=S] [--warmup=S]

  MEMWIRE_BENCH_CORE=/path/index.js  benchmark that build instead of packages/core/dist
`;
const flags = parseFlags(USAGE, ['quick', 'json', 'duration', 'warmup']);
const TIMING = timingFlags(flags);
const BATCH = 100;
const KEYSPACE = 10_000;
const CONCURRENCY = [1, 50];
const VALUE = printableValue(100);

exitOnSignal();
const core = await import(
  process.env.MEMWIRE_BENCH_CORE ?? new URL('../packages/core/dist/index.mjs', import.meta.url).href
);
const server = await startMemcached({ memoryMb: 256, threads: 2 });
const ROUNDS = TIMING.quick ? 1 : 3;
const results = {};
try {
  const clients = {};
  for (const protocol of ['classic', 'meta']) {
    clients[protocol] = core.createClient({ servers: server.address, env: false, protocol });
    // Asked once before measuring ('meta' is unasked; 'classic' never asks).
    await clients[protocol].setMany([['warm', VALUE]]);
  }
  const batchOf = (protocol, i) =>
    Array.from({ length: BATCH }, (_, k) => `${protocol}:${(i * BATCH + k) % KEYSPACE}`);
  // setMany alone; and a setMany then a deleteMany of the same keys (so every delete finds its key,
  // as a delete of keys that are gone is answered per key in both protocols).
  const ops = {
    setMany: (client, protocol) => (i) =>
      client.setMany(batchOf(protocol, i).map((key) => [key, VALUE])).then(check),
    'setMany + deleteMany': (client, protocol) => async (i) => {
      const keys = batchOf(protocol, i);
      check(await client.setMany(keys.map((key) => [key, VALUE])));
      check(await client.deleteMany(keys));
    },
  };
  // Rounds alternate the protocols, and each cell is the median of its rounds: the machine is shared.
  for (let round = 0; round < ROUNDS; round++) {
    for (const concurrency of CONCURRENCY) {
      for (const [name, make] of Object.entries(ops)) {
        for (const protocol of round % 2 === 0 ? ['classic', 'meta'] : ['meta', 'classic']) {
          log(`round ${round + 1}: ${protocol} ${name} c=${concurrency} …`);
          const cell = await measure(make(clients[protocol], protocol), concurrency, TIMING);
          const row = `${name} c=${concurrency}`;
          results[row] ??= { classic: [], meta: [] };
          results[row][protocol].push(cell);
        }
      }
    }
  }
  for (const client of Object.values(clients)) await client.close();
} finally {
  await server.stop();
}

/** The median of a cell's rounds (an error if any round failed). */
function median(cells) {
  const failed = cells.find((cell) => cell.error);
  if (failed) return failed;
  const sorted = cells.map((cell) => cell.opsPerSec).sort((a, b) => a - b);
  return { opsPerSec: sorted[Math.floor(sorted.length / 2)], rounds: sorted };
}

function check(outcomes) {
  for (const outcome of outcomes.values()) if (!outcome.ok) throw outcome.error;
}

if (TIMING.json) {
  console.log(JSON.stringify({ meta: runMeta(TIMING, { batch: BATCH, rounds: ROUNDS }), results }, null, 2));
} else {
  console.log(`\n${BATCH}-key batches, calls/s, median of ${ROUNDS} alternating rounds\n`);
  console.log('| call | classic | meta (quiet) | meta ÷ classic |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [row, rounds] of Object.entries(results)) {
    const cells = { classic: median(rounds.classic), meta: median(rounds.meta) };
    const ratio =
      cells.meta?.opsPerSec && cells.classic?.opsPerSec
        ? (cells.meta.opsPerSec / cells.classic.opsPerSec).toFixed(2)
        : '—';
    console.log(`| ${row} | ${fmtCell(cells.classic)} | ${fmtCell(cells.meta)} | ${ratio}× |`);
  }
}
