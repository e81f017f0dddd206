export { ServerStartError, type ServerStartErrorCode } from './errors.mjs';
export { closeAllFaultProxies, type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.mjs';
export {
  findMemcached,
  MEMCACHED_DEFAULTS,
  type MemcachedOptions,
  type MemcachedServer,
  startMemcached,
  stopAllMemcached,
} from './memcached.mjs';
export {
  type Nutcracker,
  type NutcrackerOptions,
  type NutcrackerPoolStats,
  STATS_INTERVAL_MS,
  startNutcracker,
  stopAllNutcracker,
} from './nutcracker.mjs';
export { accepts, freePort } from './ports.mjs';
export { runningPids } from './processes.mjs';

/** Stops every proxy, nutcracker and memcached started here, then SIGKILLs any process left. */
export function stopAllServers(): Promise<void>;
