import type { AuthDialect } from '../auth/dialects.js';
import type { LoginFlow } from '../auth/login.js';
import { type HealthSettings, ServerHealth } from '../cluster/server-health.js';
import type { Protocol } from '../config/options.js';
import { formatAddress, type ServerAddress } from '../config/server-address.js';
import { Connection, type ConnectionSettings } from './connection.js';
import { MetaSupport } from './meta-support.js';
import { ALONE, type ReplyDebtors } from './write-timing.js';

export type PoolSettings = Omit<ConnectionSettings, 'login' | 'health'> &
  HealthSettings & {
    /** A fresh login flow per connection: each runs its own handshake. */
    login: () => LoginFlow | undefined;
    poolSize: number;
    protocol: Protocol;
    proxy: 'twemproxy' | undefined;
    authDialect: AuthDialect;
  };

/** What a pool tells its owner about the server's health. */
export interface PoolEvents {
  serverDown(pool: ServerPool, error: Error): void;
  serverUp(pool: ServerPool): void;
}

/**
 * The connections to one server (one by default; ClientOptions.poolSize), and that server's health. A
 * key always uses the same connection (chosen by a cheap hash), so commands on one key keep their
 * order, while with several, commands on different keys travel on different connections, which
 * memcached serves on different worker threads.
 */
export class ServerPool implements ReplyDebtors {
  readonly address: string;
  readonly server: ServerAddress;
  readonly health: ServerHealth;
  /** Whether the server speaks the meta protocol (ClientOptions.protocol). */
  readonly meta: MetaSupport;
  private readonly connections: Connection[];

  constructor(settings: PoolSettings, events: PoolEvents) {
    this.server = settings.server;
    this.address = formatAddress(settings.server);
    // twemproxy closes the connection on a command it does not forward; IronCache's front is not a
    // memcached and has no meta commands.
    const mayAsk = settings.proxy !== 'twemproxy' && settings.authDialect !== 'ironcache';
    // The asking's own connection has a health of its own that never marks the server down: a
    // front that closes it on `mn` says nothing of the server.
    const askerHealth = new ServerHealth(
      this.address,
      { ...settings, failureThreshold: Number.POSITIVE_INFINITY },
      { down: () => {}, up: () => {}, probe: () => {} },
    );
    this.meta = new MetaSupport(
      settings.protocol,
      mayAsk,
      // Not one of the pool's connections, so it waits for no other server's replies (WriteTiming).
      () => new Connection({ ...settings, login: settings.login(), health: askerHealth, writeTiming: ALONE }),
      () => (this.health.isDown ? this.health.downError(Date.now()) : undefined),
    );
    const health = new ServerHealth(this.address, settings, {
      down: (error) => {
        this.meta.forget();
        events.serverDown(this, error);
      },
      up: () => {
        this.meta.forget();
        events.serverUp(this);
      },
      probe: () => this.primary.probe(),
    });
    this.health = health;
    this.connections = Array.from(
      { length: settings.poolSize },
      () => new Connection({ ...settings, login: settings.login(), health }),
    );
  }

  /** The connection for `key` (as sent). */
  forKey(key: string): Connection {
    const connections = this.connections;
    if (connections.length === 1) return connections[0]!;
    return connections[connectionIndex(key, connections.length)]!;
  }

  /** `keys` (as sent) grouped by their connection ({@link ServerPool.forKey}), each group in order. */
  byConnection(keys: readonly string[]): Map<Connection, readonly string[]> {
    const connections = this.connections;
    if (connections.length === 1) return new Map([[connections[0]!, keys]]);
    const groups: string[][] = connections.map(() => []);
    for (const key of keys) groups[connectionIndex(key, connections.length)]!.push(key);
    const byConnection = new Map<Connection, readonly string[]>();
    groups.forEach((group, i) => {
      if (group.length > 0) byConnection.set(connections[i]!, group);
    });
    return byConnection;
  }

  /**
   * Whether this server, unless it is `except`'s own, has a reply on its way. A connection's siblings to
   * the same server do not count: with one server and `poolSize` 2, waiting for the other connection
   * measured no faster (0.95× set, 1.13× get) and the default stays as it was.
   */
  owesReplies(except: object): boolean {
    const connections = this.connections;
    if (connections.includes(except as Connection)) return false;
    for (const connection of connections) if (connection.owesReplies) return true;
    return false;
  }

  /** The connection for commands about the whole server (stats, version, flush_all). */
  get primary(): Connection {
    return this.connections[0]!;
  }

  /** Ends every connection after the commands already issued; `permanent` also stops probing. */
  end(permanent: boolean): Promise<void> {
    const ending = this.connections.map((connection) => connection.end(permanent));
    if (permanent) {
      this.health.close();
      ending.push(this.meta.close());
    }
    return Promise.all(ending).then(() => undefined);
  }
}

/** FNV-1a over UTF-16 code units: only needs to spread keys over `count` connections, not to match any other client. */
function connectionIndex(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % count;
}
