import type { ServerResponse } from 'node:http';
import type { ServedResponse } from '../types.js';

/**
 * Writes a response the cache answers with. Through `res.end` (or the `end` given), so middleware
 * that wrapped it, compression among them, still sees and transforms it.
 */
export function writeServed(
  res: ServerResponse,
  served: ServedResponse,
  end: ServerResponse['end'] = res.end,
): void {
  res.statusCode = served.status;
  setHeaders(res, served.headers);
  const send = end as (this: ServerResponse, body?: Buffer) => ServerResponse;
  send.call(res, served.body);
}

/** Sets header fields on a response that has not sent its head yet. */
export function setHeaders(res: ServerResponse, headers: ReadonlyArray<readonly [string, string]>): void {
  // Set-Cookie is the one field a list cannot join into one line (RFC 9110 §5.3): each value goes as
  // a line of its own. Every other name comes once.
  const cookies: string[] = [];
  for (const [name, value] of headers) {
    if (name === 'set-cookie') cookies.push(value);
    else res.setHeader(name, value);
  }
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
}

/** The header fields set on `res` so far, as single strings. */
export function headerSnapshot(res: ServerResponse): Map<string, string> {
  const snapshot = new Map<string, string>();
  const headers = res.getHeaders();
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) snapshot.set(name, Array.isArray(value) ? value.join(', ') : String(value));
  }
  return snapshot;
}

/** Removes `name` from the response just before its head is sent, whoever set it. */
export function removeOnHead(res: ServerResponse, name: string): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    this.removeHeader(name);
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}
