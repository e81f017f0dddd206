// The one way memwire's tests, benchmarks and scripts start servers. Plain ESM with hand-written
// .d.mts types, so node runs it from bench/ and scripts/ with no build step and the test tsconfig
// type-checks its users.
import { closeAllFaultProxies } from './fault-proxy.mjs';
import { stopAllMemcached } from './memcached.mjs';
import { stopAllNutcracker } from './nutcracker.mjs';
import { killAllProcesses } from './processes.mjs';

export { ServerStartError } from './errors.mjs';
export { closeAllFaultProxies, startFaultProxy } from './fault-proxy.mjs';
export { findMemcached, MEMCACHED_DEFAULTS, startMemcached, stopAllMemcached } from './memcached.mjs';
export { STATS_INTERVAL_MS, startNutcracker, stopAllNutcracker } from './nutcracker.mjs';
export { accepts, freePort } from './ports.mjs';
export { runningPids } from './processes.mjs';

/** Stops everything started here: proxies first (they front the servers), then the processes. */
export async function stopAllServers() {
  await closeAllFaultProxies();
  await stopAllNutcracker();
  await stopAllMemcached();
  // Whatever is left (a start still in flight) goes by SIGKILL.
  await killAllProcesses();
}
