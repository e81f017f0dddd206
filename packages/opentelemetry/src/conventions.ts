import type { Attributes } from '@opentelemetry/api';

// OpenTelemetry's database client conventions (semantic conventions 1.26+, stable names), written
// out rather than imported: @opentelemetry/semantic-conventions would be a runtime dependency for
// a handful of strings.
export const DB_SYSTEM_NAME = 'db.system.name';
export const DB_OPERATION_NAME = 'db.operation.name';
export const DB_OPERATION_BATCH_SIZE = 'db.operation.batch.size';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const ERROR_TYPE = 'error.type';
/** The duration histogram every database client reports, in seconds. */
export const DB_CLIENT_OPERATION_DURATION = 'db.client.operation.duration';
/** memcached, as the conventions name it. */
export const MEMCACHED = 'memcached';
/** The HTTP cache's status on the request's span (RFC 9211's Cache-Status, as one word). */
export const HTTP_CACHE_STATUS = 'http.response.cache_status';

/** `server.address` and `server.port` of a `host:port` (IPv6 in brackets), or none when not one server. */
export function serverAttributes(server: string | undefined): Attributes {
  if (server === undefined) return {};
  const colon = server.lastIndexOf(':');
  if (colon <= 0) return { [SERVER_ADDRESS]: server };
  const host = server.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(server.slice(colon + 1));
  return Number.isInteger(port)
    ? { [SERVER_ADDRESS]: host, [SERVER_PORT]: port }
    : { [SERVER_ADDRESS]: server };
}

/** The error's stable code (`ERR_MEMWIRE_TIMEOUT`), else its class name, as `error.type` wants. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return '_OTHER';
}
