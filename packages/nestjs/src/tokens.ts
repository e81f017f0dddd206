import { Inject } from '@nestjs/common';

/** The name of the client `MemwireModule.forRoot()` registers when given no `name`. */
export const DEFAULT_MEMWIRE_NAME = 'default';

/**
 * The injection token of a client registered by `MemwireModule.forRoot({ name })`: pass it to
 * `inject: [...]` of a factory, or to `@Inject()`. Without a name, the default client's token.
 *
 * @example
 * CacheModule.registerAsync({ inject: [getMemwireToken()], useFactory: (client: Client) => ({ … }) });
 */
export function getMemwireToken(name: string = DEFAULT_MEMWIRE_NAME): string {
  return name === DEFAULT_MEMWIRE_NAME ? 'MemwireClient' : `MemwireClient:${name}`;
}

/**
 * The injection token of the response cache of the client `name` (see `MemwireResponseCache`):
 * inject it to invalidate URLs and tags.
 */
export function getMemwireResponseCacheToken(name: string = DEFAULT_MEMWIRE_NAME): string {
  return name === DEFAULT_MEMWIRE_NAME ? 'MemwireResponseCache' : `MemwireResponseCache:${name}`;
}

/** The token of a client's module options (internal: the health indicator reads them). */
export function getMemwireOptionsToken(name: string = DEFAULT_MEMWIRE_NAME): string {
  return name === DEFAULT_MEMWIRE_NAME ? 'MemwireModuleOptions' : `MemwireModuleOptions:${name}`;
}

/**
 * Injects the memwire `Client` registered under `name` (the default client without one).
 *
 * @example
 * constructor(@InjectMemwire() private readonly memcached: Client) {}
 * constructor(@InjectMemwire('sessions') private readonly sessions: Client) {}
 */
export function InjectMemwire(name?: string): ReturnType<typeof Inject> {
  return Inject(getMemwireToken(name));
}

/**
 * Injects the `MemwireResponseCache` of the client `name` (the default client without one).
 *
 * @example
 * constructor(@InjectResponseCache() private readonly pages: MemwireResponseCache) {}
 * await this.pages.invalidateTags('products');
 */
export function InjectResponseCache(name?: string): ReturnType<typeof Inject> {
  return Inject(getMemwireResponseCacheToken(name));
}
