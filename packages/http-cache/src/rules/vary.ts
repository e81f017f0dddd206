import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { fieldValue } from './headers.js';

/**
 * The request fields a response varies on, lower-case, sorted and without duplicates; `'*'` when it
 * varies on something outside the request (RFC 9110 §12.5.5), which can never be matched.
 */
export function varyFields(vary: string | undefined): string[] | '*' {
  if (vary === undefined) return [];
  const fields = new Set<string>();
  for (const token of vary.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') fields.add(name);
  }
  return [...fields].sort();
}

/**
 * A digest of the request's values of `fields`: part of the key of each variant. The values are
 * hashed, never stored, so a response varying on `Cookie` or `Authorization` puts no credential in
 * memcached. RFC 9111 §4.1 allows normalising whitespace; an absent field differs from an empty one.
 */
export function varyDigest(fields: readonly string[], headers: IncomingHttpHeaders): string {
  const hash = createHash('sha256');
  for (const name of fields) {
    const value = fieldValue(headers[name]);
    hash.update(name);
    hash.update(value === undefined ? '\u0000' : `=${value.trim().replace(/\s*,\s*/g, ',')}`);
    hash.update('\n');
  }
  return hash.digest('base64url').slice(0, 22);
}
