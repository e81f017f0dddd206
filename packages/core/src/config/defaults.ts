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
  /**
   * One connection per server, as libmemcached, pylibmc and the Node peers keep: a tick's commands for
   * a server then leave in one write, which on loopback costs 25–30% less client CPU per command than
   * two connections, and is as fast or faster at every concurrency but gets at c=50 (bench/README.md
   * "How the default poolSize was chosen", 2026-12-07). Half the sockets, too, where a hosted plan
   * limits connections.
   */
  poolSize: 1,
  keepAlive: true,
  protocol: 'auto' as Protocol,
  autoDiscoveryInterval: 60_000,
  /** The floor of maxReplyValueSize, whose default is the larger of this and maxValueSize. */
  maxReplyValueSizeFloor: 16 * 1024 * 1024,
  maxPendingCommands: 10_000,
  unrefWhenIdle: false,
} as const;
