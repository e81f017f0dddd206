/**
 * Every error memwire raises is a {@link MemwireError} with a stable `code`: branch on `code`
 * (or `instanceof`), never on message text. Errors name the server (`host:port`) when one is
 * involved and never carry a credential.
 */

import { maskCredentialsIn } from './config/secrets.js';

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
  AUTH_REQUIRED: 'ERR_MEMWIRE_AUTH_REQUIRED',
  ITEM_TOO_LARGE: 'ERR_MEMWIRE_ITEM_TOO_LARGE',
  DISCOVERY: 'ERR_MEMWIRE_DISCOVERY',
  QUEUE_FULL: 'ERR_MEMWIRE_QUEUE_FULL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface MemwireErrorOptions {
  /** The server the failure happened on, as `host:port`. */
  server?: string | undefined;
  cause?: unknown;
}

/** The static key under which each memwire error class keeps its brand. */
const BRAND = Symbol.for('memwire.error.brand');

/**
 * Marks `target`'s prototype with `Symbol.for('memwire.error.<name>')`, as undici does (its
 * lib/core/errors.js): `instanceof` then checks that global-registry symbol instead of the prototype
 * chain, so it holds across two installed copies of @memwire/core and across its ESM and CommonJS
 * builds (each has its own classes). An instance carries the brand of every class it descends from.
 */
function brand(target: abstract new (...args: never[]) => Error, name: string): void {
  const symbol = Symbol.for(`memwire.error.${name}`);
  Object.defineProperty(target.prototype, symbol, { value: true });
  Object.defineProperty(target, BRAND, { value: symbol });
}

function hasBrand(target: object, value: unknown): boolean {
  if (!Object.hasOwn(target, BRAND)) return Function.prototype[Symbol.hasInstance].call(target, value);
  const symbol = (target as Record<symbol, symbol>)[BRAND]!;
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[symbol] === true;
}

/** The base of every memwire error. */
export class MemwireError extends Error {
  static {
    brand(MemwireError, 'MemwireError');
  }

  /**
   * `error instanceof ConfigError` is true for a ConfigError of any copy of @memwire/core. A class
   * that is not memwire's own (an application's subclass) keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about, a subclass included
    return hasBrand(this, value);
  }

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
  static {
    brand(ConfigError, 'ConfigError');
  }

  override name = 'ConfigError';
  constructor(message: string) {
    // Messages quote what was configured: a `user:pass@` in it is masked whatever built the message.
    super(ErrorCodes.CONFIG, maskCredentialsIn(message));
  }
}

/** The server could not be reached, refused the connection, or the connection broke. */
export class ConnectionError extends MemwireError {
  static {
    brand(ConnectionError, 'ConnectionError');
  }

  override name = 'ConnectionError';
  /**
   * The operating system's code when a system call failed (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`,
   * `EAI_AGAIN`, …), also through a server marked down; undefined otherwise (a TLS failure, a server
   * closing the connection). Branch on this, not on the message.
   */
  readonly syscallCode: string | undefined;
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.CONNECTION, message, options);
    this.syscallCode = syscallCodeOf(options.cause);
  }
}

function syscallCodeOf(cause: unknown): string | undefined {
  if (cause instanceof ConnectionError) return cause.syscallCode;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { code, syscall } = cause as { code?: unknown; syscall?: unknown };
  // Node sets `syscall` on system errors (connect, getaddrinfo); TLS errors have a code but no syscall.
  return typeof code === 'string' && typeof syscall === 'string' ? code : undefined;
}

/** A connect or a command took longer than its timeout. */
export class TimeoutError extends MemwireError {
  static {
    brand(TimeoutError, 'TimeoutError');
  }

  override name = 'TimeoutError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.TIMEOUT, message, options);
  }
}

/**
 * The server refused the pseudo-set login (code `ERR_MEMWIRE_AUTH`: wrong credentials or dialect). Its
 * subclass {@link AuthRequiredError} (`ERR_MEMWIRE_AUTH_REQUIRED`) is a server wanting a login none was given.
 */
export class AuthError extends MemwireError {
  static {
    brand(AuthError, 'AuthError');
  }

  override name = 'AuthError';
  constructor(
    message: string,
    options: MemwireErrorOptions = {},
    code: typeof ErrorCodes.AUTH | typeof ErrorCodes.AUTH_REQUIRED = ErrorCodes.AUTH,
  ) {
    super(code, message, options);
  }
}

/** A key memcached would not accept; nothing was sent. */
export class InvalidKeyError extends MemwireError {
  static {
    brand(InvalidKeyError, 'InvalidKeyError');
  }

  override name = 'InvalidKeyError';
  constructor(message: string) {
    super(ErrorCodes.INVALID_KEY, message);
  }
}

/** A value the codec cannot store (e.g. `undefined`, a function); nothing was sent. */
export class InvalidValueError extends MemwireError {
  static {
    brand(InvalidValueError, 'InvalidValueError');
  }

  override name = 'InvalidValueError';
  constructor(message: string) {
    super(ErrorCodes.INVALID_VALUE, message);
  }
}

/** A bad argument other than a key or value: a negative delta, a TTL that is not a number. */
export class InvalidArgumentError extends MemwireError {
  static {
    brand(InvalidArgumentError, 'InvalidArgumentError');
  }

  override name = 'InvalidArgumentError';
  constructor(message: string) {
    super(ErrorCodes.INVALID_ARGUMENT, message);
  }
}

/** A value larger than `maxValueSize`; nothing was sent. */
export class ValueTooLargeError extends MemwireError {
  static {
    brand(ValueTooLargeError, 'ValueTooLargeError');
  }

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
  static {
    brand(ServerError, 'ServerError');
  }

  override name = 'ServerError';
  constructor(
    message: string,
    options: MemwireErrorOptions = {},
    code: typeof ErrorCodes.SERVER_ERROR | typeof ErrorCodes.ITEM_TOO_LARGE = ErrorCodes.SERVER_ERROR,
  ) {
    super(code, message, options);
  }
}

/** The server answered `ERROR` or `CLIENT_ERROR …` to this command (e.g. incr on a non-number). */
export class ClientError extends MemwireError {
  static {
    brand(ClientError, 'ClientError');
  }

  override name = 'ClientError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.CLIENT_ERROR, message, options);
  }
}

/** The server sent bytes that are not a valid reply; the connection was reset to stay in step. */
export class ProtocolError extends MemwireError {
  static {
    brand(ProtocolError, 'ProtocolError');
  }

  override name = 'ProtocolError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.PROTOCOL, message, options);
  }
}

/** The client was closed before the command could run. */
export class ClientClosedError extends MemwireError {
  static {
    brand(ClientClosedError, 'ClientClosedError');
  }

  override name = 'ClientClosedError';
  constructor(message = 'the client is closed') {
    super(ErrorCodes.CLOSED, message);
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends MemwireError {
  static {
    brand(AbortError, 'AbortError');
  }

  override name = 'AbortError';
  constructor(message = 'the operation was aborted', options: MemwireErrorOptions = {}) {
    super(ErrorCodes.ABORTED, message, options);
  }
}

/** A stored value could not be decoded (e.g. a Python pickle, or bad JSON). */
export class CodecError extends MemwireError {
  static {
    brand(CodecError, 'CodecError');
  }

  override name = 'CodecError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.CODEC, message, options);
  }
}

/** The command cannot go through the configured proxy (e.g. `stats` through twemproxy); nothing was sent. */
export class UnsupportedCommandError extends MemwireError {
  static {
    brand(UnsupportedCommandError, 'UnsupportedCommandError');
  }

  override name = 'UnsupportedCommandError';
  constructor(message: string) {
    super(ErrorCodes.UNSUPPORTED, message);
  }
}

/**
 * The server wants a login and none is configured: memcached -Y answers every command of a connection
 * that has not logged in with `CLIENT_ERROR unauthenticated` (and reads a `set` as a login attempt).
 * Still an {@link AuthError} for `instanceof`, with its own code: the fix is to configure credentials,
 * not to correct them.
 */
export class AuthRequiredError extends AuthError {
  static {
    brand(AuthRequiredError, 'AuthRequiredError');
  }

  override name = 'AuthRequiredError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(message, options, ErrorCodes.AUTH_REQUIRED);
  }
}

/**
 * The server refused a value bigger than its item size (`SERVER_ERROR object too large for cache`:
 * memcached's `-I`, 1 MiB by default, holds the key and an item header too). The data was swallowed and
 * the connection stays in step. Still a {@link ServerError} for `instanceof`, with its own code.
 */
export class ItemTooLargeError extends ServerError {
  static {
    brand(ItemTooLargeError, 'ItemTooLargeError');
  }

  override name = 'ItemTooLargeError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(message, options, ErrorCodes.ITEM_TOO_LARGE);
  }
}

/**
 * AWS ElastiCache auto discovery could not read the node list: no endpoint answered
 * `config get cluster`, or its answer was malformed. `cause` holds the last endpoint's error.
 */
export class DiscoveryError extends MemwireError {
  static {
    brand(DiscoveryError, 'DiscoveryError');
  }

  override name = 'DiscoveryError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.DISCOVERY, message, options);
  }
}

/**
 * The connection already holds `maxPendingCommands` unanswered commands (a stalled or overloaded
 * server); nothing was sent. Retry later, or shed the load.
 */
export class QueueFullError extends MemwireError {
  static {
    brand(QueueFullError, 'QueueFullError');
  }

  override name = 'QueueFullError';
  constructor(message: string, options: MemwireErrorOptions = {}) {
    super(ErrorCodes.QUEUE_FULL, message, options);
  }
}
