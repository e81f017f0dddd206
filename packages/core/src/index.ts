export type { AuthDialect, Credentials, IronCacheCredentials, PasswordCredentials } from './auth/dialects.js';
export {
  type BinaryKeys,
  type CallOptions,
  Client,
  type ClientEvents,
  createClient,
  type GetManyOptions,
  type InvalidateOptions,
  type Lease,
  type LeaseOptions,
  type WriteOptions,
} from './client.js';
export { KetamaRing } from './cluster/ketama.js';
export type { Failover } from './cluster/topology.js';
export type { Codec, EncodedValue } from './codec/codec.js';
export {
  COMPRESSED_FLAG,
  type CompressedCodecOptions,
  type CompressionOptions,
  compressedCodec,
} from './codec/compression.js';
export {
  DefaultFlags,
  defaultCodec,
  type JsonObject,
  type JsonValue,
  type Value,
} from './codec/default-codec.js';
export {
  type PhpCodecOptions,
  PhpFlags,
  type PhpResult,
  type PhpValue,
  phpCodec,
} from './codec/php-codec.js';
export {
  type PymemcacheCodecOptions,
  PymemcacheFlags,
  type PymemcacheResult,
  type PymemcacheValue,
  pymemcacheCodec,
} from './codec/pymemcache-codec.js';
export { rawCodec } from './codec/raw-codec.js';
export type { UnreadablePolicy } from './codec/scalars.js';
export { DEFAULT_OPTIONS } from './config/defaults.js';
export { type EnvSettings, type FromEnv, readEnvironment } from './config/env.js';
export type { ClientOptions, Distribution, Environment, KeyHash, Protocol } from './config/options.js';
export { type ResolvedConfig, resolveConfig } from './config/resolve.js';
export {
  formatAddress,
  parseServerList,
  type ServerAddress,
  type ServerAddressInput,
} from './config/server-address.js';
export { serverOptionsFrom } from './config/server-options.js';
export { parseMemcacheUrl } from './config/url.js';
export * from './errors.js';
export type { CasToken, ValueWithCas } from './get-sinks.js';
export { type DjangoKeyOptions, djangoKeyFunction } from './key-functions.js';
export type { MemwireLogger } from './logger.js';
export type { Outcome } from './outcomes.js';
// ---- Cache primitives: each adapter builds on these, none rebuilds one ----------------------------
export {
  AddLock,
  type AwaitOutcome,
  type AwaitReleaseOptions,
  type LockClient,
} from './primitives/add-lock.js';
export {
  type CounterClient,
  GENERATION_RANGE,
  GenerationCounter,
  parseCounter,
  parseGeneration,
} from './primitives/generation-counter.js';
export { Lru, type LruOptions } from './primitives/lru.js';
export { SingleFlight } from './primitives/single-flight.js';
export { keyProblem, MAX_KEY_BYTES } from './protocol/keys.js';
export { MAX_EXPTIME, MAX_RELATIVE_TTL, toExptime } from './protocol/ttl.js';
export { type StatsSummary, summarizeStats } from './stats-summary.js';
export {
  type CommandTrace,
  type ConnectionEventMessage,
  commandChannel,
  connectionChannel,
  type ServerStateMessage,
  serverChannel,
} from './tracing.js';
export { isLoopback } from './warnings.js';
