#!/usr/bin/env node
// memwire core benchmark: @memwire/core vs. popular Node memcached clients vs. a raw pipelined socket.
// Usage: USAGE below (`node bench/core.mjs --help`); bench/README.md says what is measured and how.
//
// This is a benchmark, not a test: nothing here asserts on speed. It starts its own memcached on a free
// loopback port and stops it (by pid) when done, on SIGINT/SIGTERM, and on uncaught errors.
// Clients run one after another in this single process, never concurrently.

import v8 from 'node:v8';
import vm from 'node:vm';
import { ADAPTERS } from './clients.mjs';
import {
  exitOnSignal,
  fmtCell,
  hitCount,
  log,
  measure,
  parseFlags,
  printableValue,
  runMeta,
  startMemcached,
  timingFlags,
} from './lib.mjs';

// ---------------------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node bench/core.mjs [options]

  (no options)                   full run (3 s per cell after a 0.5 s warm-up)
  --quick                        short run (0.5 s per cell)
  --json                         machine-readable results on stdout (progress always goes to stderr)
  --duration=S --warmup=S        override the per-cell timings (seconds)
  --rounds=N                     run every client N times, in alternating order, and report each
                                 cell's median round (default 1; the recorded figures use 3: a
                                 c=1 cell is bimodal and the machine's load drifts between clients)
  --clients=raw,memwire,...      run only these clients
                                 (raw, raw-batched, memwire, memjs, memcached, memcache-client)
  --help                         this text

  MEMWIRE_BENCH_CORE=/path/index.js  benchmark that build instead of packages/core/dist
  MEMCACHED_BIN=/path/memcached      the memcached to start
`;
const flags = parseFlags(USAGE, ['quick', 'json', 'duration', 'warmup', 'clients', 'rounds']);
const TIMING = timingFlags(flags);
const JSON_OUT = TIMING.json;
const ONLY = flags.opt('clients')?.split(',').filter(Boolean);
const ROUNDS = Number(flags.opt('rounds') ?? 1);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  log(`--rounds must be a whole number of at least 1, got ${flags.opt('rounds')}`);
  process.exit(2);
}

const VALUE_SIZE = 100;
const KEYSPACE = 1000;
const MULTI_KEYS = 100;
const CONCURRENCY = { get: [1, 50, 200], set: [1, 50, 200], getMany: [1, 50] };
const ALL_CONCURRENCIES = [1, 50, 200];
const PEERS = ['memjs', 'memcached', 'memcache-client'];

// A gc() handle without needing `node --expose-gc`, so heap figures are taken after a full collection.
v8.setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? vm.runInNewContext('gc');

const keyOf = (i) => `bench:${i % KEYSPACE}`;

const VALUE = printableValue(VALUE_SIZE);

// getMany key sets: MULTI_KEYS consecutive keys starting at a rotating offset.
const MULTI_KEYSETS = Array.from({ length: 10 }, (_, s) =>
  Array.from({ length: MULTI_KEYS }, (_, j) => keyOf(s * MULTI_KEYS + j)),
);

// ---------------------------------------------------------------------------------------------------------
// memcached: started through the server library, which ends it by pid however the run ends.

exitOnSignal();

// ---------------------------------------------------------------------------------------------------------
// Measurement

const asString = (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);

async function runClient(name, port) {
  const adapter = ADAPTERS[name];
  const result = { client: name, label: adapter.label, note: adapter.note, cells: {} };
  let c;
  try {
    c = await adapter.create(port);
  } catch (err) {
    result.skipped = `could not create client: ${err.message}`;
    return result;
  }
  if (c.skip) {
    result.skipped = c.skip;
    return result;
  }

  try {
    // Correctness: set then get must return the same 100-byte value.
    const checkKey = `bench:check:${name}`;
    try {
      await c.set(checkKey, VALUE);
      const got = asString(await c.get(checkKey));
      if (got !== VALUE) throw new Error(`get returned ${JSON.stringify(got)?.slice(0, 60)}`);
    } catch (err) {
      result.skipped = `correctness check failed (set then get): ${err.message}`;
      return result;
    }

    // set cells first; then (re)populate the whole keyspace with this client's own encoding for gets.
    for (const n of CONCURRENCY.set) {
      result.cells[`set:${n}`] = await measure((i) => c.set(keyOf(i), VALUE), n, TIMING);
      log(`  ${name} set c=${n}: ${fmtCell(result.cells[`set:${n}`])}`);
    }
    for (let i = 0; i < KEYSPACE; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => c.set(keyOf(i + j), VALUE)));
    }
    for (const n of CONCURRENCY.get) {
      result.cells[`get:${n}`] = await measure((i) => c.get(keyOf(i)), n, TIMING);
      log(`  ${name} get c=${n}: ${fmtCell(result.cells[`get:${n}`])}`);
    }

    let multiOk = true;
    try {
      const res = await c.getMany(MULTI_KEYSETS[0]);
      const hits = hitCount(res);
      const first = res instanceof Map ? res.get(MULTI_KEYSETS[0][0]) : res?.[MULTI_KEYSETS[0][0]];
      const firstValue = asString(first?.value ?? first);
      if (hits !== MULTI_KEYS || firstValue !== VALUE) {
        throw new Error(`expected ${MULTI_KEYS} hits of the stored value, got ${hits}`);
      }
    } catch (err) {
      multiOk = false;
      for (const n of CONCURRENCY.getMany)
        result.cells[`getMany:${n}`] = { error: `check failed: ${err.message}` };
      log(`  ${name} getMany: skipped, check failed: ${err.message}`);
    }
    if (multiOk) {
      for (const n of CONCURRENCY.getMany) {
        result.cells[`getMany:${n}`] = await measure(
          (i) => c.getMany(MULTI_KEYSETS[i % MULTI_KEYSETS.length]),
          n,
          TIMING,
        );
        log(`  ${name} getMany c=${n}: ${fmtCell(result.cells[`getMany:${n}`])}`);
      }
    }

    gc();
    const mem = process.memoryUsage();
    result.memory = {
      heapUsedMB: mem.heapUsed / 2 ** 20,
      heapTotalMB: mem.heapTotal / 2 ** 20,
      rssMB: mem.rss / 2 ** 20,
    };
  } finally {
    try {
      await c.close();
    } catch (err) {
      log(`  ${name}: close failed: ${err.message}`);
    }
  }
  return result;
}

/**
 * One client's rounds as one result: each cell is its median round by rate (the cell itself, so its
 * figures stay those of one measurement), with every round's rate kept in `roundsOpsPerSec`.
 */
function medianRound(rounds) {
  const last = rounds[rounds.length - 1];
  const skipped = rounds.find((r) => r.skipped);
  if (skipped) return skipped;
  if (rounds.length === 1) return last;
  const cells = {};
  for (const cell of Object.keys(last.cells)) {
    const all = rounds.map((r) => r.cells[cell]);
    const failed = all.findIndex((c) => c === undefined || c.error);
    if (failed !== -1) {
      cells[cell] = all[failed] ?? { error: `missing in round ${failed + 1}` };
      continue;
    }
    const sorted = [...all].sort((a, b) => a.opsPerSec - b.opsPerSec);
    cells[cell] = { ...sorted[Math.floor(sorted.length / 2)], roundsOpsPerSec: all.map((c) => c.opsPerSec) };
  }
  return { ...last, cells };
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

const fmtRatio = (r) => (r === undefined ? '—' : `${r.toFixed(2)}×`);
const opsOf = (results, client, op, n) =>
  results.find((r) => r.client === client)?.cells[`${op}:${n}`]?.opsPerSec;

function computeRatios(results) {
  const ratios = {};
  for (const op of Object.keys(CONCURRENCY)) {
    ratios[op] = {};
    for (const n of CONCURRENCY[op]) {
      const mw = opsOf(results, 'memwire', op, n);
      let best;
      for (const peer of PEERS) {
        const v = opsOf(results, peer, op, n);
        if (v !== undefined && (best === undefined || v > best.ops)) best = { client: peer, ops: v };
      }
      ratios[op][n] = {
        bestPeer: best?.client,
        memwireOverBestPeer: mw !== undefined && best ? mw / best.ops : undefined,
      };
    }
    const mw1 = opsOf(results, 'memwire', op, 1);
    const raw1 = opsOf(results, 'raw', op, 1);
    ratios[op].memwireOverRawC1 = mw1 !== undefined && raw1 !== undefined ? mw1 / raw1 : undefined;
  }
  return ratios;
}

function markdown(meta, results, ratios) {
  const out = [];
  out.push('# memwire core benchmark', '');
  out.push(`- date: ${meta.date}`);
  out.push(`- node: ${meta.node}`);
  out.push(`- CPU: ${meta.cpu} (${meta.cores} cores)`);
  out.push(`- memcached: ${meta.memcached} (-t 2 -m 256, loopback)`);
  out.push(
    `- per cell: ${meta.warmupMs / 1000} s warm-up + ${meta.durationMs / 1000} s measured; ${VALUE_SIZE}-byte values, ${KEYSPACE} keys${meta.rounds > 1 ? `; median of ${meta.rounds} rounds, clients in alternating order` : ''}`,
  );
  out.push('');
  const titles = {
    get: 'get (100-byte values), ops/s',
    set: 'set (100-byte values), ops/s',
    getMany: `getMany (${MULTI_KEYS} keys per call), calls/s`,
  };
  for (const op of Object.keys(CONCURRENCY)) {
    out.push(`## ${titles[op]}`, '');
    out.push(`| client | ${ALL_CONCURRENCIES.map((n) => `c=${n}`).join(' | ')} |`);
    out.push(`|---|${ALL_CONCURRENCIES.map(() => '---:').join('|')}|`);
    for (const r of results) {
      const cells = ALL_CONCURRENCIES.map((n) =>
        r.skipped
          ? n === 1
            ? `skipped: ${r.skipped}`
            : ''
          : CONCURRENCY[op].includes(n)
            ? fmtCell(r.cells[`${op}:${n}`])
            : '—',
      );
      const mark = op === 'getMany' && r.client === 'memjs' ? ' ¹' : '';
      out.push(`| ${r.label}${mark} | ${cells.join(' | ')} |`);
    }
    const ratioCells = ALL_CONCURRENCIES.map((n) => {
      const x = ratios[op][n];
      if (!x) return '—';
      return x.memwireOverBestPeer === undefined
        ? 'n/a'
        : `${fmtRatio(x.memwireOverBestPeer)} (vs ${x.bestPeer})`;
    });
    out.push(`| **memwire / best peer** | ${ratioCells.join(' | ')} |`);
    const rawRatio = ratios[op].memwireOverRawC1;
    out.push(`| **memwire / raw baseline** | ${rawRatio === undefined ? 'n/a' : fmtRatio(rawRatio)} | | |`);
    if (op === 'getMany') {
      out.push('', '¹ memjs has no multi-get: measured as Promise.all of 100 single gets.');
    }
    out.push('');
  }
  out.push('## memory after each client run (after a full GC; RSS is process-wide and rarely shrinks)', '');
  out.push('| client | heapUsed MB | heapTotal MB | RSS MB |');
  out.push('|---|---:|---:|---:|');
  for (const r of results) {
    if (!r.memory) {
      out.push(`| ${r.label} | — | — | — |`);
      continue;
    }
    const m = r.memory;
    out.push(
      `| ${r.label} | ${m.heapUsedMB.toFixed(1)} | ${m.heapTotalMB.toFixed(1)} | ${m.rssMB.toFixed(1)} |`,
    );
  }
  out.push('');
  const notes = results.filter((r) => r.skipped);
  if (notes.length) {
    out.push('## skipped', '');
    for (const r of notes) out.push(`- ${r.label}: ${r.skipped}`);
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const clients = Object.keys(ADAPTERS).filter((n) => !ONLY || ONLY.includes(n));
  const meta = runMeta(TIMING, { quick: TIMING.quick });
  log(`memwire bench: node ${meta.node}, ${meta.cpu} x${meta.cores}, ${meta.memcached}`);
  const server = await startMemcached({ memoryMb: 256, threads: 2 });
  const { port } = server;
  log(`memcached pid ${server.pid} on 127.0.0.1:${port}`);

  const runs = new Map(clients.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order, so no client always runs first (or last) in a round.
    for (const name of round % 2 === 0 ? clients : [...clients].reverse()) {
      log(ROUNDS === 1 ? `${name}:` : `${name} (round ${round + 1} of ${ROUNDS}):`);
      const r = await runClient(name, port);
      if (r.skipped) r.skipped = r.skipped.split('\n')[0]; // e.g. drop a require stack
      if (r.skipped) log(`  ${name}: SKIPPED: ${r.skipped}`);
      runs.get(name).push(r);
    }
  }
  await server.stop();
  meta.rounds = ROUNDS;
  const results = clients.map((name) => medianRound(runs.get(name)));

  const ratios = computeRatios(results);
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify({ meta, results, ratios }, null, 2)}\n`);
  } else {
    process.stdout.write(`${markdown(meta, results, ratios)}\n`);
  }
  // Some peers keep timers/sockets alive after close (e.g. node memcached's pool); exit explicitly.
  process.exit(0);
}

main().catch((err) => {
  log(err);
  process.exit(1);
});
