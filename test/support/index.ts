export { type AuthFront, type AuthFrontOptions, type FrontDialect, startAuthFront } from './auth-front.js';
export {
  type FakeConnectionState,
  type FakeDataHandler,
  type FakeServer,
  startFakeServer,
} from './fake-server.js';
export { freePort } from './free-port.js';
export {
  type MemcachedOptions,
  type MemcachedServer,
  startMemcached,
  stopAllMemcached,
} from './memcached.js';
