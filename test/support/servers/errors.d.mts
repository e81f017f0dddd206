/**
 * Why {@link ServerStartError} was thrown:
 * - `ERR_SERVER_NOT_INSTALLED`: the binary is not on PATH (or the one named could not be run).
 * - `ERR_SERVER_PORT_IN_USE`: something already answers on the port, or the server could not bind it.
 * - `ERR_SERVER_EXITED`: the process ended before it accepted a connection.
 * - `ERR_SERVER_START_TIMEOUT`: it did not accept a connection in time.
 */
export type ServerStartErrorCode =
  | 'ERR_SERVER_NOT_INSTALLED'
  | 'ERR_SERVER_PORT_IN_USE'
  | 'ERR_SERVER_EXITED'
  | 'ERR_SERVER_START_TIMEOUT';

/** A server process that did not come up; the message carries what it wrote to stderr or its log. */
export class ServerStartError extends Error {
  constructor(code: ServerStartErrorCode, server: string, address: string, message: string);
  override readonly name: 'ServerStartError';
  readonly code: ServerStartErrorCode;
  /** `memcached`, `nutcracker`, … */
  readonly server: string;
  /** `host:port` it was to listen on. */
  readonly address: string;
}
