/**
 * The count in a value read from memcached, or `undefined` when the value is not a counter. Counters
 * are decimal text (`incr` keeps them so, and may leave trailing spaces after a `decr`,
 * protocol.txt); a codec may hand them back as a string, a number, a bigint or bytes.
 */
export function parseCount(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string | undefined;
  if (value instanceof Uint8Array)
    text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    text = String(value);
  const digits = text?.trim();
  if (digits === undefined || !/^[0-9]+$/.test(digits)) return undefined;
  const count = Number(digits);
  return Number.isSafeInteger(count) ? count : undefined;
}
