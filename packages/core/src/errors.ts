/**
 * Every error memwire raises is a {@link MemwireError} with a stable `code`: branch on `code`
 * (or `instanceof`), never on message text. Errors name the server (`host:port`) when one is
 * involved and never carry a credential.
 */

/** The stable error codes. */
export const ErrorCodes = {
  CONFIG: 'ERR_MEMWIRE_CONFIG',
  CONNECTION: 'ERR_MEMWIRE_CONNECTION',
  TIMEOUT: 'ERR_MEMWIRE_TIMEOUT',
  AUTH: 'ERR_MEMWIRE_AUTH',
  INVALID_KEY: 'ERR_MEMWIRE_INVALID_KEY',
  INVALID_VALUE: 'ERR_MEMWIRE_INVALID_VALUE',
  INVALID_ARGUMENT: 'ERR_MEMWIRE_INVALID_ARGUMENT',
  VALUE_TOO_LARGE: 'ERR_MEMWIRE_VALUE_TOO_LARGE',
  SERVER_ERROR: 'ERR_MEMWIRE_SERVER_ERROR',
  CLIENT_ERROR: 'ERR_MEMWIRE_CLIENT_ERROR',
  PROTOCOL: 'ERR_MEMWIRE_PROTOCOL',
  CLOSED: 'ERR_MEMWIRE_CLOSED',
  ABORTED: 'ERR_MEMWIRE_ABORTED',
  CODEC: 'ERR_MEMWIRE_CODEC',
  UNSUPPORTED: 'ERR_MEMWIRE_UNSUPPORTED',
  QUEUE_FULL: 'ERR_MEMWIRE_QUEUE_FULL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface MemwireErrorOptions {
  /** The server the failure happened on, as `host:port`. */
  server?: string | undefined;
  cause?: unknown;
}

/** The base of every memwire error. */
export class MemwireError extends Error {
  override name = 'MemwireError';
  readonly code: ErrorCode;
  /** The server (`host:port`) involved, when there is one. */
  readonly server: string | undefined;

  constructor(code: ErrorCode, message: string, options: MemwireErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.server = options.server;
  }
}

/** Invalid configuration: a bad option or environment variable. Thrown by `createClient`. */
export class ConfigError extends MemwireError {
  override name = 'ConfigError';
  constructor(message: string) {
    super(ErrorCodes.CONFIG, message);
  }
}

/** The server could not be reached, refused the connection, or the connection broke. */
export class ConnectionError extends MemwireError {
  override name = 'ConnectionError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.CONNECTION, message, options);
  }
}

/** A connect or a command took longer than its timeout. */
export class TimeoutError extends MemwireError {
  override name = 'TimeoutError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.TIMEOUT, message, options);
  }
}

/** The server refused the pseudo-set login. */
export class AuthError extends MemwireError {
  override name = 'AuthError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.AUTH, message, options);
  }
}

/** A key memcached would not accept; nothing was sent. */
export class InvalidKeyError extends MemwireError {
  override name = 'InvalidKeyError';
  constructor(message: string) {
    super(ErrorCodes.INVALID_KEY, message);
  }
}

/** A value the codec cannot store (e.g. `undefined`, a function); nothing was sent. */
export class InvalidValueError extends MemwireError {
  override name = 'InvalidValueError';
  constructor(message: string) {
    super(ErrorCodes.INVALID_VALUE, message);
  }
}

/** A bad argument other than a key or value: a negative delta, a TTL that is not a number. */
export class InvalidArgumentError extends MemwireError {
  override name = 'InvalidArgumentError';
  constructor(message: string) {
    super(ErrorCodes.INVALID_ARGUMENT, message);
  }
}

/** A value larger than `maxValueSize`; nothing was sent. */
export class ValueTooLargeError extends MemwireError {
  override name = 'ValueTooLargeError';
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      ErrorCodes.VALUE_TOO_LARGE,
      `value of ${size} bytes exceeds maxValueSize of ${limit} bytes; nothing was sent`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** The server answered `SERVER_ERROR …` to this command (e.g. "object too large for cache"). */
export class ServerError extends MemwireError {
  override name = 'ServerError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.SERVER_ERROR, message, options);
  }
}

/** The server answered `ERROR` or `CLIENT_ERROR …` to this command (e.g. incr on a non-number). */
export class ClientError extends MemwireError {
  override name = 'ClientError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.CLIENT_ERROR, message, options);
  }
}

/** The server sent bytes that are not a valid reply; the connection was reset to stay in step. */
export class ProtocolError extends MemwireError {
  override name = 'ProtocolError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.PROTOCOL, message, options);
  }
}

/** The client was closed before the command could run. */
export class ClientClosedError extends MemwireError {
  override name = 'ClientClosedError';
  constructor(message = 'the client is closed') {
    super(ErrorCodes.CLOSED, message);
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends MemwireError {
  override name = 'AbortError';
  constructor(message = 'the operation was aborted', options: MemwireErrorOptions = {}) {
    super(ErrorCodes.ABORTED, message, options);
  }
}

/** A stored value could not be decoded (e.g. a Python pickle, or bad JSON). */
export class CodecError extends MemwireError {
  override name = 'CodecError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.CODEC, message, options);
  }
}

/** The command cannot go through the configured proxy (e.g. `stats` through twemproxy); nothing was sent. */
export class UnsupportedCommandError extends MemwireError {
  override name = 'UnsupportedCommandError';
  constructor(message: string) {
    super(ErrorCodes.UNSUPPORTED, message);
  }
}

/**
 * The connection already holds `maxPendingCommands` unanswered commands (a stalled or overloaded
 * server); nothing was sent. Retry later, or shed the load.
 */
export class QueueFullError extends MemwireError {
  override name = 'QueueFullError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.QUEUE_FULL, message, options);
  }
}
