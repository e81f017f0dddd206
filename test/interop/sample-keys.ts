/**
 * Keys as applications send them, for ring tests: short and long (up to memcached's 250 bytes),
 * ASCII and UTF-8 (where libmemcached's one-at-a-time hash sign-extends bytes over 0x7f), Django's
 * `:1:` form. None has whitespace or control characters, so every client accepts them.
 */
export function sampleKeys(count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(sampleKey(i));
  return keys;
}

const MAX_KEY_BYTES = 250;

function sampleKey(i: number): string {
  switch (i % 8) {
    case 0:
      return `user:${i}`;
    case 1:
      return `:1:views.decorators.cache.cache_page.${i}.GET.d41d8cd98f00b204e9800998ecf8427e`;
    case 2:
      return `\u043a\u043b\u044e\u0447:${i}`;
    case 3:
      return `caf\u00e9-${i}-\u00fc\u00df`;
    case 4:
      return `\u{1f600}${i}\u65e5\u672c\u8a9e`;
    case 5:
      return fill(`long:${i}:`, 'x', 1);
    case 6:
      return fill(`\u00e9t\u00e9:${i}:`, '\u00e9', 2);
    default:
      return `k${i}`;
  }
}

/** `prefix` padded with `unit` (of `unitBytes` UTF-8 bytes) to as close to 250 bytes as fits. */
function fill(prefix: string, unit: string, unitBytes: number): string {
  const room = MAX_KEY_BYTES - Buffer.byteLength(prefix);
  return prefix + unit.repeat(Math.floor(room / unitBytes));
}
