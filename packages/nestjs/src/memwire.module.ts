import { type Client, ConfigError, createClient, type Value } from '@memwire/core';
import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import type {
  MemwireClientOptions,
  MemwireModuleAsyncOptions,
  MemwireModuleOptions,
  MemwireOptionsFactory,
} from './options.js';
import { MemwireResponseCache } from './response-cache/memwire-response-cache.js';
import {
  DEFAULT_MEMWIRE_NAME,
  getMemwireOptionsToken,
  getMemwireResponseCacheToken,
  getMemwireToken,
} from './tokens.js';

/** Each client module's own closer; not exported, so every `forRoot` has its own. */
const CLOSE_ON_SHUTDOWN = Symbol('memwire:close-on-shutdown');

type AnyOptions = MemwireClientOptions<unknown, unknown>;

/**
 * memcached for Nest: `forRoot()` registers a memwire `Client` (inject it with `@InjectMemwire()`)
 * and its response cache (for `@CacheResponse()` routes), both closed on application shutdown.
 *
 * @example
 * @Module({ imports: [MemwireModule.forRoot({ isGlobal: true })] }) // MEMCACHE_SERVERS etc.
 * export class AppModule {}
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes; forRoot/forRootAsync are Nest's convention
export class MemwireModule {
  /**
   * A client from `options`; with none, from the environment as `createClient()` reads it
   * (`MEMCACHIER_*` / `MEMCACHE_*`, else `127.0.0.1:11211`). Call once per `name`.
   */
  static forRoot<In = Value, Out = In>(options: MemwireModuleOptions<In, Out> = {}): DynamicModule {
    const { name, isGlobal, ...clientOptions } = options;
    return clientModule(
      name,
      isGlobal,
      [],
      [{ provide: getMemwireOptionsToken(name), useValue: clientOptions }],
    );
  }

  /**
   * A client whose options come from a factory, a class or an existing provider, e.g. Nest's
   * `ConfigService`. Exactly one of `useFactory`, `useClass`, `useExisting`.
   */
  static forRootAsync<In = Value, Out = In>(options: MemwireModuleAsyncOptions<In, Out>): DynamicModule {
    const { name, isGlobal, imports = [], extraProviders = [] } = options;
    return clientModule(name, isGlobal, imports, [...optionsProviders(options), ...extraProviders]);
  }
}

function optionsProviders<In, Out>(options: MemwireModuleAsyncOptions<In, Out>): Provider[] {
  const { name, useFactory, useClass, useExisting, inject = [] } = options;
  const given = [useFactory, useClass, useExisting].filter((source) => source !== undefined).length;
  if (given !== 1) {
    throw new ConfigError(
      `MemwireModule.forRootAsync needs exactly one of useFactory, useClass and useExisting, got ${given}`,
    );
  }
  const provide = getMemwireOptionsToken(name);
  if (useFactory !== undefined) return [{ provide, useFactory, inject }];
  const factory = (useClass ?? useExisting)!;
  const fromFactory: Provider = {
    provide,
    useFactory: (made: MemwireOptionsFactory<In, Out>) => made.createMemwireOptions(),
    inject: [factory],
  };
  return useClass === undefined ? [fromFactory] : [fromFactory, { provide: useClass, useClass }];
}

/** The providers of one client: its options, the client, its response cache, and their closing. */
function clientModule(
  name: string | undefined,
  isGlobal: boolean | undefined,
  imports: NonNullable<DynamicModule['imports']>,
  options: Provider[],
): DynamicModule {
  const clientToken = getMemwireToken(name ?? DEFAULT_MEMWIRE_NAME);
  const cacheToken = getMemwireResponseCacheToken(name ?? DEFAULT_MEMWIRE_NAME);
  const optionsToken = getMemwireOptionsToken(name ?? DEFAULT_MEMWIRE_NAME);
  return {
    module: MemwireModule,
    global: isGlobal ?? false,
    imports,
    providers: [
      ...options,
      {
        provide: clientToken,
        useFactory: ({ responseCache: _responseCache, ...clientOptions }: AnyOptions) =>
          // Nest's own Logger unless the options name one (or `false`): an outage shows in the app's log.
          createClient({
            ...clientOptions,
            logger: clientOptions.logger ?? new Logger(name === undefined ? 'Memwire' : `Memwire:${name}`),
          }),
        inject: [optionsToken],
      },
      {
        provide: cacheToken,
        useFactory: (clientOptions: AnyOptions) => new MemwireResponseCache(clientOptions),
        inject: [optionsToken],
      },
      {
        // Nest calls lifecycle hooks on every provider's instance, factory-made ones included.
        // onApplicationShutdown runs after the HTTP server has closed, so requests in flight still
        // had their cache; the response cache's pending stores are written before its client closes.
        provide: CLOSE_ON_SHUTDOWN,
        useFactory: (client: Client<unknown, unknown>, responseCache: MemwireResponseCache) => ({
          onApplicationShutdown: async (): Promise<void> => {
            await Promise.allSettled([responseCache.close(), client.close()]);
          },
        }),
        inject: [clientToken, cacheToken],
      },
    ],
    exports: [clientToken, cacheToken],
  };
}
