import type { ClientOptions, Value } from '@memwire/core';
import type { HttpCacheOptions } from '@memwire/http-cache';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';

/**
 * The options of one memwire client: every `@memwire/core` client option (`servers`, `url`,
 * `username`, `password`, `tls`, `keyPrefix`, `commandTimeout`, `failover`, …; none of them: the
 * environment, as `createClient()` reads it), plus the options of its response cache.
 *
 * @typeParam In - what `set` accepts (decided by `codec`).
 * @typeParam Out - what `get` returns (decided by `codec`).
 */
export interface MemwireClientOptions<In = Value, Out = In> extends ClientOptions<In, Out> {
  /**
   * The HTTP response cache of `@CacheResponse()` routes: `@memwire/express`'s options (`ttl`,
   * `keyPrefix`, `cacheStatusHeader`, `lock`, `maxBodySize`, …, defaults in `HTTP_CACHE_DEFAULTS`).
   * It stores through a second client made from these same options (with `hashLongKeys` and raw
   * bytes), opened only when a `@CacheResponse()` route is first requested.
   * @default {} (the defaults: `ttl` 60 s, `keyPrefix` 'http:', `X-Cache` header)
   */
  responseCache?: HttpCacheOptions | undefined;
}

/** What `MemwireModule.forRoot()` takes: a client's options, its name, and whether it is global. */
export interface MemwireModuleOptions<In = Value, Out = In> extends MemwireClientOptions<In, Out> {
  /**
   * Registers a named client, injected with `@InjectMemwire(name)`; call `forRoot` once per name.
   * @default 'default' (injected with `@InjectMemwire()`)
   */
  name?: string | undefined;
  /**
   * Make the client (and its response cache) injectable in every module, without importing this one.
   * @default false
   */
  isGlobal?: boolean | undefined;
}

/** A class that makes a client's options, for `forRootAsync({ useClass })` and `({ useExisting })`. */
export interface MemwireOptionsFactory<In = Value, Out = In> {
  createMemwireOptions(): MemwireClientOptions<In, Out> | Promise<MemwireClientOptions<In, Out>>;
}

/**
 * What `MemwireModule.forRootAsync()` takes: where the client's options come from (exactly one of
 * `useFactory`, `useClass`, `useExisting`), the modules they need, the name and whether it is global.
 *
 * @example
 * MemwireModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ servers: config.get('CACHE_SERVERS') }),
 * });
 */
export interface MemwireModuleAsyncOptions<In = Value, Out = In> extends Pick<ModuleMetadata, 'imports'> {
  /** @default 'default' */
  name?: string | undefined;
  /** @default false */
  isGlobal?: boolean | undefined;
  /** Returns the options (or a promise of them); its arguments are the providers in `inject`. */
  useFactory?:
    | ((...args: never[]) => MemwireClientOptions<In, Out> | Promise<MemwireClientOptions<In, Out>>)
    | undefined;
  /** The providers passed to `useFactory`, in order. */
  inject?: Array<InjectionToken | OptionalFactoryDependency> | undefined;
  /** A class this module instantiates to make the options. */
  useClass?: Type<MemwireOptionsFactory<In, Out>> | undefined;
  /** A provider, from `imports` or a global module, that makes the options. */
  useExisting?: Type<MemwireOptionsFactory<In, Out>> | undefined;
  /** More providers for this module, e.g. ones `useClass` needs. */
  extraProviders?: ModuleMetadata['providers'];
}
