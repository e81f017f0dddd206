#!/usr/bin/env node
// memwire core benchmark: @memwire/core vs. popular Node memcached clients vs. a raw pipelined socket.
//
//   node bench/core.mjs            full run (3 s per cell after a 0.5 s warm-up)
//   node bench/core.mjs --quick    short run (0.5 s per cell)
//   node bench/core.mjs --json     machine-readable results on stdout (progress always goes to stderr)
//   --duration=S --warmup=S        override the per-cell timings (seconds)
//   --clients=raw,memwire,...      run only these clients
//                                  (raw, raw-batched, memwire, memjs, memcached, memcache-client)
//   MEMWIRE_BENCH_CORE=/path/index.js  benchmark that build instead of packages/core/dist
//
// This is a benchmark, not a test: nothing here asserts on speed. It starts its own memcached on a free
// loopback port and stops it (by pid) when done, on SIGINT/SIGTERM, and on uncaught errors.
// Clients run one after another in this single process, never concurrently.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { RawClient } from './raw-client.mjs';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 3);
};

const QUICK = flag('quick');
const JSON_OUT = flag('json');
const DURATION_MS = Number(opt('duration') ?? (QUICK ? 0.5 : 3)) * 1000;
const WARMUP_MS = Number(opt('warmup') ?? 0.5) * 1000;
const ONLY = opt('clients')?.split(',').filter(Boolean);

const VALUE_SIZE = 100;
const KEYSPACE = 1000;
const MULTI_KEYS = 100;
const DRAIN_TIMEOUT_MS = 10_000;
const CONCURRENCY = { get: [1, 50, 200], set: [1, 50, 200], getMany: [1, 50] };
const ALL_CONCURRENCIES = [1, 50, 200];
const PEERS = ['memjs', 'memcached', 'memcache-client'];

// A gc() handle without needing `node --expose-gc`, so heap figures are taken after a full collection.
v8.setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? vm.runInNewContext('gc');

const log = (...args) => console.error(...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const keyOf = (i) => `bench:${i % KEYSPACE}`;

// A fixed printable 100-byte ASCII value, so every client stores and returns the same bytes as a string.
const VALUE = Array.from({ length: VALUE_SIZE }, (_, i) => String.fromCharCode(33 + ((i * 7) % 94))).join('');

// getMany key sets: MULTI_KEYS consecutive keys starting at a rotating offset.
const MULTI_KEYSETS = Array.from({ length: 10 }, (_, s) =>
  Array.from({ length: MULTI_KEYS }, (_, j) => keyOf(s * MULTI_KEYS + j)),
);

// ---------------------------------------------------------------------------------------------------------
// memcached server lifecycle

const MEMCACHED_BIN =
  process.env.MEMCACHED_BIN || (existsSync('/usr/bin/memcached') ? '/usr/bin/memcached' : 'memcached');
let server = null; // { child, pid, port }

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tryConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function startMemcached() {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '256', '-t', '2'];
    if (process.getuid?.() === 0) args.push('-u', 'root');
    const child = spawn(MEMCACHED_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let exited = false;
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', () => {
      exited = true;
    });
    child.on('error', (err) => {
      exited = true;
      stderr += String(err);
    });
    server = { child, pid: child.pid, port };
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline) {
      if (await tryConnect(port)) return server;
      await sleep(25);
    }
    stopMemcached();
    log(`memcached did not come up on port ${port} (attempt ${attempt}): ${stderr.trim() || 'no output'}`);
  }
  throw new Error(`could not start ${MEMCACHED_BIN}`);
}

// Stop memcached and wait (bounded) until it has exited, so nothing outlives the run.
async function stopMemcachedAndWait() {
  const child = server?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return stopMemcached();
  const exited = new Promise((r) => child.once('exit', r));
  stopMemcached();
  await Promise.race([exited, sleep(2000)]);
}

function stopMemcached() {
  if (server?.pid && server.child.exitCode === null && server.child.signalCode === null) {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  server = null;
}

process.on('exit', stopMemcached);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping memcached and exiting`);
    stopMemcached();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  log('uncaught exception:', err);
  stopMemcached();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  log('unhandled rejection:', err);
  stopMemcached();
  process.exit(1);
});

// ---------------------------------------------------------------------------------------------------------
// Client adapters. Each exposes: get(key) -> value|undefined, set(key, value) -> truthy,
// getMany(keys) -> Map|object of hits, close(). Values are compared as strings (memjs returns Buffers).

const promisify =
  (fn) =>
  (...args) =>
    new Promise((resolve, reject) => fn(...args, (err, res) => (err ? reject(err) : resolve(res))));

const coreDist = new URL('../packages/core/dist/index.mjs', import.meta.url);

const ADAPTERS = {
  raw: {
    label: 'raw baseline',
    async create(port) {
      const c = new RawClient(port);
      await c.connect();
      return {
        get: (k) => c.get(k),
        set: (k, v) => c.set(k, v),
        getMany: (keys) => c.getMany(keys),
        close: () => c.close(),
      };
    },
  },

  'raw-batched': {
    label: 'raw, writes batched per tick',
    note: 'Not part of the ratios: the raw client with writes corked per event-loop turn (see RawClient).',
    async create(port) {
      const c = new RawClient(port, { batch: true });
      await c.connect();
      return {
        get: (k) => c.get(k),
        set: (k, v) => c.set(k, v),
        getMany: (keys) => c.getMany(keys),
        close: () => c.close(),
      };
    },
  },

  memwire: {
    label: '@memwire/core',
    async create(port) {
      // MEMWIRE_BENCH_CORE=/abs/path/to/index.js benchmarks another build (e.g. another checkout's dist).
      const override = process.env.MEMWIRE_BENCH_CORE;
      if (!override && !existsSync(coreDist)) {
        return { skip: 'packages/core/dist/index.mjs not found: build @memwire/core first (npm run build)' };
      }
      let mod;
      try {
        mod = await import(override ? pathToFileURL(override).href : '@memwire/core');
      } catch (err) {
        return { skip: `could not import ${override ?? '@memwire/core'}: ${err.message}` };
      }
      if (typeof mod.createClient !== 'function') return { skip: 'module has no createClient export' };
      // env: {} makes the client ignore MEMCACHE_SERVERS / MEMCACHIER_* in process.env.
      const client = mod.createClient({ servers: [`127.0.0.1:${port}`], env: {} });
      return {
        get: (k) => client.get(k),
        set: (k, v) => client.set(k, v, { ttl: 0 }),
        getMany: (keys) => client.getMany(keys),
        close: () => client.close(),
      };
    },
  },

  memjs: {
    label: 'memjs',
    note: 'memjs has no multi-get: getMany is Promise.all of 100 single gets (binary protocol, pipelined).',
    async create(port) {
      const memjs = require('memjs');
      // Quirk: memjs logs through options.logger, which defaults to `console` (stdout), e.g.
      // "MemJS: Server <...> failed after (2) retries with error - ..." on timeouts/connection errors.
      // Route it to stderr so --json output stays clean. Quirks: its per-request timeout defaults to
      // 0.5 s (server option `timeout`) with `retries: 2`; left at defaults here. It speaks the binary
      // protocol, returns values as Buffers ({ value, flags }), and leaves Nagle on (no setNoDelay).
      const client = memjs.Client.create(`127.0.0.1:${port}`, {
        logger: { log: (...a) => log('[memjs]', ...a) },
      });
      return {
        get: async (k) => (await client.get(k)).value ?? undefined,
        set: (k, v) => client.set(k, v, { expires: 0 }),
        getMany: async (keys) => {
          const res = await Promise.all(keys.map((k) => client.get(k)));
          const hits = new Map();
          for (let i = 0; i < keys.length; i++) if (res[i].value != null) hits.set(keys[i], res[i].value);
          return hits;
        },
        close: () => client.close(),
      };
    },
  },

  memcached: {
    label: 'memcached',
    async create(port) {
      const Memcached = require('memcached');
      // Quirks (node memcached 2.x, all left at defaults):
      //  - poolSize: 10, but its pool (jackpot) hands out any socket with no pending write, so on loopback it
      //    pipelines everything over one socket (1 established connection observed at c=50 and c=200); a
      //    second socket only appears when a write is left buffered in userland.
      //  - TCP_NODELAY is on (it calls setNoDelay(true)); memjs and memcache-client leave Nagle on.
      //  - on connection failure it retries (retries: 5, exponential backoff from minTimeout: 1000 ms) and
      //    marks the server dead after `failures: 5`, then waits `retry: 30000` ms -- so a bad server shows
      //    up as slow callbacks with errors, not a fast failure. The 'failure'/'issue' events report it.
      //  - idle: 5000 closes pooled connections that saw no I/O for 5 s.
      //  - end() is required to let the process exit (idle timers keep it alive).
      const client = new Memcached(`127.0.0.1:${port}`);
      client.on('failure', (d) => log('[memcached] failure', d?.server, d?.messages));
      const get = promisify(client.get.bind(client));
      const set = promisify(client.set.bind(client));
      const getMulti = promisify(client.getMulti.bind(client));
      return {
        get: (k) => get(k),
        set: (k, v) => set(k, v, 0),
        getMany: (keys) => getMulti(keys),
        close: () => client.end(),
      };
    },
  },

  'memcache-client': {
    label: 'memcache-client',
    async create(port) {
      const { MemcacheClient } = require('memcache-client');
      // Quirks: one connection per server by default (maxConnections: 1); get() of an array returns an
      // object keyed by key with { value, tokens } entries; set() resolves to ['STORED']; close via shutdown().
      // Nagle stays on unless `noDelay: true` is passed -- left at the default here, which helps its
      // set throughput at c=50/200 (the kernel coalesces the small writes; see the raw-batched row).
      // Its dependency memcache-parser@1.0.1 requires 'tslib' without declaring it; memcache-client's own
      // tslib is nested under memcache-client/node_modules, so bench/package.json lists tslib to hoist it.
      const client = new MemcacheClient({ server: `127.0.0.1:${port}` });
      return {
        get: async (k) => (await client.get(k))?.value,
        set: (k, v) => client.set(k, v),
        getMany: (keys) => client.get(keys),
        close: () => client.shutdown(),
      };
    },
  },
};

// ---------------------------------------------------------------------------------------------------------
// Measurement

const asString = (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
const hitCount = (res) => (res instanceof Map ? res.size : res ? Object.keys(res).length : 0);

async function measure(op, concurrency) {
  let counter = 0;
  let completed = 0;
  let stop = false;
  let error = null;
  const worker = async () => {
    while (!stop) {
      try {
        await op(counter++);
      } catch (err) {
        error ??= err;
        stop = true;
        return;
      }
      completed++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await sleep(WARMUP_MS);
  const c0 = completed;
  const t0 = performance.now();
  await sleep(DURATION_MS);
  const c1 = completed;
  const t1 = performance.now();
  stop = true;
  let drainTimer;
  const drained = await Promise.race([
    Promise.all(workers).then(() => true),
    new Promise((r) => {
      drainTimer = setTimeout(() => r(false), DRAIN_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(drainTimer);
  if (error) return { error: String(error?.message ?? error) };
  if (!drained) return { error: `in-flight ops did not complete within ${DRAIN_TIMEOUT_MS} ms` };
  return { opsPerSec: ((c1 - c0) * 1000) / (t1 - t0) };
}

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
      result.cells[`set:${n}`] = await measure((i) => c.set(keyOf(i), VALUE), n);
      log(`  ${name} set c=${n}: ${fmtCell(result.cells[`set:${n}`])}`);
    }
    for (let i = 0; i < KEYSPACE; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => c.set(keyOf(i + j), VALUE)));
    }
    for (const n of CONCURRENCY.get) {
      result.cells[`get:${n}`] = await measure((i) => c.get(keyOf(i)), n);
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

// ---------------------------------------------------------------------------------------------------------
// Reporting

const fmtOps = (n) => Math.round(n).toLocaleString('en-US');
const fmtCell = (cell) =>
  cell === undefined ? '—' : cell.error ? `error: ${cell.error}` : fmtOps(cell.opsPerSec);
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
    `- per cell: ${meta.warmupMs / 1000} s warm-up + ${meta.durationMs / 1000} s measured; ${VALUE_SIZE}-byte values, ${KEYSPACE} keys`,
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
  let memcachedVersion = 'unknown';
  try {
    memcachedVersion = execFileSync(MEMCACHED_BIN, ['-V'], { encoding: 'utf8' }).trim();
  } catch {
    // keep 'unknown'
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memcached: memcachedVersion,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    quick: QUICK,
  };
  log(`memwire bench: node ${meta.node}, ${meta.cpu} x${meta.cores}, ${meta.memcached}`);
  const { port, pid } = await startMemcached();
  log(`memcached pid ${pid} on 127.0.0.1:${port}`);

  const results = [];
  for (const name of clients) {
    log(`${name}:`);
    const r = await runClient(name, port);
    if (r.skipped) r.skipped = r.skipped.split('\n')[0]; // e.g. drop a require stack
    if (r.skipped) log(`  ${name}: SKIPPED: ${r.skipped}`);
    results.push(r);
  }
  await stopMemcachedAndWait();

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
  stopMemcached();
  process.exit(1);
});
