import { type Client, ConfigError, resolveConfig } from '@memwire/core';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { HealthIndicatorService } from '@nestjs/terminus';
import type { MemwireClientOptions } from '../options.js';
import { DEFAULT_MEMWIRE_NAME, getMemwireOptionsToken, getMemwireToken } from '../tokens.js';
import { type MemwireServerHealth, pingServer } from './ping.js';

/** Options of {@link MemwireHealthIndicator.pingCheck}. */
export interface MemwirePingOptions {
  /** The named client whose servers are pinged (`MemwireModule.forRoot({ name })`). @default 'default' */
  client?: string | undefined;
  /** Milliseconds each server has to connect, log in and answer. @default 1000 */
  timeout?: number | undefined;
  /**
   * The status when some servers answer and others do not: `'down'`, or `'degraded'` (still
   * serving: the check passes; @nestjs/terminus 12 and later, else `'down'`).
   * @default 'down'
   */
  partial?: 'down' | 'degraded' | undefined;
}

/**
 * What {@link MemwireHealthIndicator.pingCheck} resolves: terminus's `HealthIndicatorResult` shape.
 * `'degraded'` only with `partial: 'degraded'` (terminus 11 has no such status).
 */
export type MemwireHealthResult<
  Key extends string = string,
  Status extends 'up' | 'degraded' | 'down' = 'up' | 'down',
> = Record<
  Key,
  {
    status: Status;
    /** Every server of the client, by `host:port`. */
    servers: Record<string, MemwireServerHealth>;
  }
>;

/** The defaults of {@link MemwirePingOptions}. */
export const MEMWIRE_PING_DEFAULTS = {
  client: DEFAULT_MEMWIRE_NAME,
  timeout: 1000,
  partial: 'down',
} as const;

/**
 * A `@nestjs/terminus` health indicator (its `HealthIndicatorService` API, terminus 11 and later):
 * pings every server of a memwire client, each on a fresh connection and within a timeout, and
 * reports each server's status, latency and version. Add it to your health module's `providers`.
 *
 * @example
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.memcached.pingCheck('memcached', { timeout: 500 })]);
 * }
 */
@Injectable()
export class MemwireHealthIndicator {
  private indicators: Promise<HealthIndicatorService> | undefined;

  constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

  /** Pings every server of the client; up when all answer (see `partial`). Never rejects for a server's failure. */
  pingCheck<const Key extends string>(
    key: Key,
    options?: MemwirePingOptions & { partial?: 'down' | undefined },
  ): Promise<MemwireHealthResult<Key>>;
  pingCheck<const Key extends string>(
    key: Key,
    options: MemwirePingOptions,
  ): Promise<MemwireHealthResult<Key, 'up' | 'degraded' | 'down'>>;
  async pingCheck<const Key extends string>(
    key: Key,
    options: MemwirePingOptions = {},
  ): Promise<MemwireHealthResult<Key, 'up' | 'degraded' | 'down'>> {
    const { client: name, timeout, partial } = { ...MEMWIRE_PING_DEFAULTS, ...definedOnly(options) };
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new ConfigError(`pingCheck timeout must be a number of milliseconds > 0, got ${String(timeout)}`);
    }
    const { client, config } = this.clientOf(name);
    const addresses = client.servers;
    const answers = await Promise.all(addresses.map((address) => pingServer(address, config, timeout)));
    const servers = Object.fromEntries(addresses.map((address, i) => [address, answers[i]!]));
    const up = answers.filter((answer) => answer.status === 'up').length;
    const session = (await this.healthIndicatorService()).check(key);
    if (up === answers.length) return session.up({ servers });
    // Terminus 12 added `degraded`; terminus 11 (the one for Nest 10) has up and down only.
    const { degraded } = session as { degraded?: (data: { servers: typeof servers }) => unknown };
    if (up > 0 && partial === 'degraded' && typeof degraded === 'function') {
      return degraded.call(session, { servers }) as MemwireHealthResult<Key, 'degraded'>;
    }
    return session.down({ servers });
  }

  /** The client `name` and its settings (environment and defaults applied), wherever its module is. */
  private clientOf(name: string) {
    try {
      const client = this.moduleRef.get<Client<unknown, unknown>>(getMemwireToken(name), { strict: false });
      const options = this.moduleRef.get<MemwireClientOptions<unknown, unknown>>(
        getMemwireOptionsToken(name),
        {
          strict: false,
        },
      );
      const { responseCache: _responseCache, ...clientOptions } = options;
      return { client, config: resolveConfig(clientOptions) };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`MemwireHealthIndicator: no memwire client named '${name}' (${String(error)})`);
    }
  }

  /**
   * Terminus's own service (the application's, from TerminusModule), loaded when first needed:
   * @nestjs/terminus is an optional peer, so importing this package must not require it.
   */
  private healthIndicatorService(): Promise<HealthIndicatorService> {
    this.indicators ??= import('@nestjs/terminus').then(({ HealthIndicatorService }) => {
      try {
        return this.moduleRef.get(HealthIndicatorService, { strict: false });
      } catch {
        return new HealthIndicatorService();
      }
    });
    return this.indicators;
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
