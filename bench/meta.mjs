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
const results = {};
try {
  for (const protocol of ['classic', 'meta']) {
    const client = core.createClient({ servers: server.address, env: false, protocol });
    // Ask once before measuring ('meta' is unasked; this is the same for both).
    await client.setMany([['warm', VALUE]]);
    const batchOf = (i) => Array.from({ length: BATCH }, (_, k) => `meta:${(i * BATCH + k) % KEYSPACE}`);
    for (const concurrency of CONCURRENCY) {
      for (const op of ['setMany', 'deleteMany']) {
        const run =
          op === 'setMany'
            ? (i) => client.setMany(batchOf(i).map((key) => [key, VALUE])).then(check)
            : (i) => client.deleteMany(batchOf(i)).then(check);
        log(`${protocol} ${op} c=${concurrency} …`);
        const cell = await measure(run, concurrency, TIMING);
        results[`${op} c=${concurrency}`] ??= {};
        results[`${op} c=${concurrency}`][protocol] = cell;
      }
    }
    await client.close();
  }
} finally {
  await server.stop();
}

function check(outcomes) {
  for (const outcome of outcomes.values()) if (!outcome.ok) throw outcome.error;
}

if (TIMING.json) {
  console.log(JSON.stringify({ meta: runMeta(TIMING, { batch: BATCH }), results }, null, 2));
} else {
  console.log(`\n${BATCH}-key batches, calls/s (each call writes or deletes ${BATCH} keys)\n`);
  console.log('| call | classic | meta (quiet) | meta ÷ classic |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [row, cells] of Object.entries(results)) {
    const ratio =
      cells.meta?.opsPerSec && cells.classic?.opsPerSec
        ? (cells.meta.opsPerSec / cells.classic.opsPerSec).toFixed(2)
        : '—';
    console.log(`| ${row} | ${fmtCell(cells.classic)} | ${fmtCell(cells.meta)} | ${ratio}× |`);
  }
}
