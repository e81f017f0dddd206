import type { ServerAddress } from '../config/server-address.js';
import { ConfigCommand } from '../connection/commands.js';
import type { ServerPool } from '../connection/pool.js';
import { DiscoveryError } from '../errors.js';

/** A cluster's node list as AWS ElastiCache's configuration endpoint gives it. */
export interface ClusterConfig {
  /** Bumped by ElastiCache whenever nodes are added or removed. */
  version: number;
  nodes: ServerAddress[];
}

/**
 * Parses the data block of `config get cluster`: the config version on the first line, then the
 * nodes as space-separated `hostname|ip|port` (AWS ElastiCache auto discovery documentation). The
 * hostname is what the ring hashes (as AWS's own cluster clients do); the IP, when given, is where we
 * connect, saving a DNS lookup per reconnect.
 */
export function parseClusterConfig(text: string, server: string): ClusterConfig {
  const [versionLine = '', nodesLine = ''] = text.split(/\r?\n/);
  const version = Number(versionLine.trim());
  const fail = (why: string) =>
    new DiscoveryError(`bad "config get cluster" reply from ${server}: ${why}`, { server });
  if (!Number.isInteger(version)) throw fail(`version ${JSON.stringify(versionLine)}`);
  const nodes = nodesLine
    .trim()
    .split(/\s+/)
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [hostname = '', ip = '', portText = ''] = entry.split('|');
      const port = Number(portText);
      if ((hostname === '' && ip === '') || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw fail(`node ${JSON.stringify(entry)}`);
      }
      return { host: hostname === '' ? ip : hostname, port, weight: 1, ip: ip === '' ? undefined : ip };
    });
  if (nodes.length === 0) throw fail('no nodes');
  return { version, nodes };
}

/**
 * Polls ElastiCache configuration endpoints with `config get cluster`, trying each in turn until one
 * answers. The timer is unref'd: discovery never keeps the process alive.
 */
export class AutoDiscovery {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly endpoints: readonly ServerPool[],
    private readonly interval: number,
    private readonly onConfig: (config: ClusterConfig) => void,
    private readonly onError: (error: DiscoveryError) => void,
  ) {}

  /**
   * Asks the endpoints once; resolves with the config, or rejects with a DiscoveryError whose `cause`
   * is the last endpoint's error.
   */
  async poll(): Promise<ClusterConfig> {
    let lastError: DiscoveryError = new DiscoveryError('auto discovery has no configuration endpoint');
    for (const endpoint of this.endpoints) {
      const server = endpoint.address;
      const command = new ConfigCommand('config get cluster\r\n');
      endpoint.primary.send(command);
      try {
        const data = await command.promise;
        if (data === undefined) throw new DiscoveryError(`${server} sent no cluster config`, { server });
        return parseClusterConfig(data.toString('utf8'), server);
      } catch (error) {
        lastError =
          error instanceof DiscoveryError
            ? error
            : new DiscoveryError(
                `auto discovery: "config get cluster" failed on ${server} (is it an ElastiCache configuration endpoint?): ${(error as Error).message}`,
                { server, cause: error },
              );
      }
    }
    throw lastError;
  }

  /** Polls every `interval` ms from now on. */
  start(): void {
    this.timer = setInterval(() => {
      this.poll().then(this.onConfig, this.onError);
    }, this.interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.endpoints.map((endpoint) => endpoint.end(true)));
  }
}
