// The clients bench/core.mjs and bench/load.mjs compare, behind one shape: create(port) resolves to
// { get(key), set(key, value), getMany(keys), close() } (or { skip: reason }). Plain ESM, no build step.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { log, promisify } from './lib.mjs';
import { RawClient } from './raw-client.mjs';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------------
// Client adapters. Each exposes: get(key) -> value|undefined, set(key, value) -> truthy,
// getMany(keys) -> Map|object of hits, close(). Values are compared as strings (memjs returns Buffers).

const coreDist = new URL('../packages/core/dist/index.mjs', import.meta.url);

export const ADAPTERS = {
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
