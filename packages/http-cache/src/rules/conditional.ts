import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderList } from '../types.js';
import { fieldValue, findHeader } from './headers.js';

/**
 * The entity tags of an `If-None-Match` value (RFC 9110 §8.8.3: `W/"x"`, `"x"`, or `*`), opaque parts
 * only: comparison for `If-None-Match` is weak (§13.1.2), so `W/"x"` and `"x"` are the same tag.
 * Commas inside a quoted tag are data, so this scans quotes rather than splitting on commas.
 */
export function entityTags(value: string): string[] | '*' {
  if (value.trim() === '*') return '*';
  const tags: string[] = [];
  const pattern = /(?:W\/)?"([^"]*)"/g;
  for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) tags.push(match[1]!);
  return tags;
}

function opaqueTag(etag: string): string | undefined {
  const match = /^(?:W\/)?"([^"]*)"$/.exec(etag.trim());
  return match?.[1];
}

/**
 * Whether a stored response answers a GET/HEAD with 304 Not Modified (RFC 9110 §13.1.2, §13.2.2):
 * `If-None-Match` by weak comparison with the stored `ETag`; without it, `If-Modified-Since` against
 * the stored `Last-Modified`.
 */
export function isNotModified(request: IncomingHttpHeaders, stored: HeaderList): boolean {
  const ifNoneMatch = fieldValue(request['if-none-match']);
  if (ifNoneMatch !== undefined) {
    const tags = entityTags(ifNoneMatch);
    if (tags === '*') return true;
    const etag = findHeader(stored, 'etag');
    const mine = etag === undefined ? undefined : opaqueTag(etag);
    return mine !== undefined && tags.includes(mine);
  }
  const ifModifiedSince = fieldValue(request['if-modified-since']);
  const lastModified = findHeader(stored, 'last-modified');
  if (ifModifiedSince === undefined || lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  const modified = Date.parse(lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}

/**
 * RFC 9110 §15.4.5: a 304 carries the fields a 200 would have sent among Cache-Control,
 * Content-Location, Date, ETag, Expires and Vary (plus Age, added by the caller); nothing describing
 * a body it does not have.
 */
const NOT_MODIFIED_FIELDS = new Set(['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary']);

export function notModifiedHeaders(stored: HeaderList): HeaderList {
  return stored.filter(([name]) => NOT_MODIFIED_FIELDS.has(name));
}
