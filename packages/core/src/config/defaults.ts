import type { Failover } from '../cluster/topology.js';
import type { Distribution, Protocol } from './options.js';

/** The one place every default lives; ClientOptions documents each. */
export const DEFAULT_OPTIONS = {
  servers: '127.0.0.1:11211',
  authDialect: 'auto',
  tls: false,
  keyPrefix: '',
  hashLongKeys: false,
  ttl: 0,
  // 1 MiB − 1 KiB: memcached 1.6.18 with its default -I 1m stored at most 1,048,267 bytes under a
  // 250-byte key (1,048,516 under a 1-byte key): the item header and key share the 1 MiB.
  maxValueSize: 1024 * 1024 - 1024,
  connectTimeout: 2000,
  commandTimeout: 1000,
  failureThreshold: 2,
  failover: 'miss' as Failover,
  retryDelay: 100,
  maxRetryDelay: 5000,
  distribution: 'ketama' as Distribution,
  maxKeysPerGet: 100,
  poolSize: 2,
  /**
   * poolSize's default with several servers: each server is a pipeline already, and a tick's commands
   * split over fewer sockets travel in bigger writes (bench/README.md "Cluster": 1.3–1.7× the
   * throughput over three servers, and half the servers' CPU per operation).
   */
  poolSizeOfSeveral: 1,
  keepAlive: true,
  protocol: 'auto' as Protocol,
  autoDiscoveryInterval: 60_000,
  /** The floor of maxReplyValueSize, whose default is the larger of this and maxValueSize. */
  maxReplyValueSizeFloor: 16 * 1024 * 1024,
  maxPendingCommands: 10_000,
  unrefWhenIdle: false,
} as const;
