export { type Callback, FalsyFailureError } from './callbacks.js';
export {
  type MemwireSessionStoreOptions,
  SESSION_STORE_DEFAULTS,
  type SessionClient,
  type SessionSerializer,
  type StoredSession,
  type UnavailablePolicy,
} from './options.js';
export { MemwireSessionStore } from './store.js';
