export { type AuthFront, type AuthFrontOptions, type FrontDialect, startAuthFront } from './auth-front.js';
export {
  type FakeConnectionState,
  type FakeDataHandler,
  type FakeServer,
  startFakeServer,
} from './fake-server.js';
export { type RecordingRelay, type RelayedConnection, startRecordingRelay } from './recording-relay.js';
export { type NodeScriptOptions, type NodeScriptRun, runNodeScript } from './run-node-script.js';
// memcached, nutcracker and the fault proxy: one library shared with bench/ and scripts/.
export {
  accepts,
  closeAllFaultProxies,
  type Fault,
  type FaultProxy,
  findMemcached,
  freePort,
  MEMCACHED_DEFAULTS,
  type MemcachedOptions,
  type MemcachedServer,
  type Nutcracker,
  type NutcrackerOptions,
  type NutcrackerPoolStats,
  runningPids,
  ServerStartError,
  type ServerStartErrorCode,
  STATS_INTERVAL_MS,
  startFaultProxy,
  startMemcached,
  startNutcracker,
  stopAllMemcached,
  stopAllNutcracker,
  stopAllServers,
} from './servers/index.mjs';
export { createTestCertificates, type TestCertificates } from './tls.js';
