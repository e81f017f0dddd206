export { type AuthFront, type AuthFrontOptions, type FrontDialect, startAuthFront } from './auth-front.js';
export {
  type FakeConnectionState,
  type FakeDataHandler,
  type FakeServer,
  startFakeServer,
} from './fake-server.js';
export { type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.js';
export { freePort } from './free-port.js';
export {
  type MemcachedOptions,
  type MemcachedServer,
  startMemcached,
  stopAllMemcached,
} from './memcached.js';
export {
  type Nutcracker,
  type NutcrackerOptions,
  type NutcrackerPoolStats,
  STATS_INTERVAL_MS,
  startNutcracker,
  stopAllNutcracker,
} from './nutcracker.js';
export { type RecordingRelay, type RelayedConnection, startRecordingRelay } from './recording-relay.js';
export { type NodeScriptOptions, type NodeScriptRun, runNodeScript } from './run-node-script.js';
export { createTestCertificates, type TestCertificates } from './tls.js';
