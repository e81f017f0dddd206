#!/usr/bin/env node
// What connections cost: @memwire/core gets at c=50 over 1 and 3 memcached processes, with poolSize 1
// and 2, and the CPU per operation of the client and of the servers (bench/lib.mjs cpuMeter). The
// figures behind bench/README.md "Where the single-server rate goes".
// Usage: node bench/connections.mjs [--quick] [--duration=S] [--warmup=S]
// A benchmark, not a test: nothing asserts on speed. It starts its memcached processes and stops them by pid.

import {
  cpuMeter,
  exitOnSignal,
  log,
  measure,
  parseFlags,
  printableValue,
  startServers,
  timingFlags,
} from './lib.mjs';

const USAGE = 'usage: node bench/connections.mjs [--quick] [--duration=S] [--warmup=S]\n';
const TIMING = timingFlags(parseFlags(USAGE, ['quick', 'duration', 'warmup']));
const ROUNDS = TIMING.quick ? 1 : 2;
const KEYS = 3000;
const VALUE = printableValue(100);

exitOnSignal();
const core = await import(new URL('../packages/core/dist/index.mjs', import.meta.url).href);
const servers = await startServers(3, { memoryMb: 64, threads: 1 });
console.log('| servers | poolSize | round | get ops/s | client µs/op (% of a core) | servers µs/op (%) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const count of [1, 3]) {
      for (const poolSize of [1, 2]) {
        const used = servers.slice(0, count);
        const client = core.createClient({ servers: used.map((s) => s.address), env: false, poolSize });
        for (let i = 0; i < KEYS; i += 100) {
          await Promise.all(Array.from({ length: 100 }, (_, j) => client.set(`k${i + j}`, VALUE)));
        }
        log(`round ${round}: ${count} server(s), poolSize ${poolSize} …`);
        const cell = await measure(
          (i) => client.get(`k${i % KEYS}`),
          50,
          TIMING,
          cpuMeter(used.map((s) => s.pid)),
        );
        await client.close();
        const { cpu } = cell;
        console.log(
          `| ${count} | ${poolSize} | ${round} | ${Math.round(cell.opsPerSec).toLocaleString('en-US')} | ${cpu.clientUsPerOp.toFixed(1)} (${Math.round(cpu.clientPct)}%) | ${cpu.serversUsPerOp.toFixed(1)} (${Math.round(cpu.serversPct)}%) |`,
        );
      }
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
