export {
  KeyvMemwire,
  type KeyvMemwireAdapterOptions,
  type KeyvMemwireEntry,
  type KeyvMemwireEvents,
} from './adapter.js';
export { type CreateKeyvOptions, createKeyv, DEFAULT_KEYV_NAMESPACE } from './create.js';
export type { MemwireClient } from './generations.js';
export { type NamespaceKeys, namespaceKeys } from './namespace-keys.js';
export { KEYV_MEMWIRE_DEFAULTS, type KeyvMemwireOptions } from './options.js';
export { toWriteOptions } from './ttl.js';
export { logUnheardErrors } from './unheard-errors.js';
