export interface DjangoKeyOptions {
  /** Django's `KEY_PREFIX`. @default '' */
  prefix?: string;
  /** Django's `VERSION`. @default 1 */
  version?: number | string;
}

/**
 * Django's default `make_key`: `prefix:version:key` (default prefix empty, version 1, so `:1:key`),
 * so a Node service reads and writes the same keys as a Django app sharing the cache.
 *
 * @example
 * createClient({ keyFunction: djangoKeyFunction({ prefix: 'shop', version: 3 }) }); // 'shop:3:greeting'
 */
export function djangoKeyFunction(options: DjangoKeyOptions = {}): (key: string) => string {
  const head = `${options.prefix ?? ''}:${options.version ?? 1}:`;
  return (key) => head + key;
}
