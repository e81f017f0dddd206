import { ErrorCodes } from '@memwire/core';

/** An answer other than success: a status and a stable code, with a message safe to show anyone. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The codes of the router's own answers. */
export const RouterErrorCodes = {
  BAD_REQUEST: 'ERR_MEMWIRE_HTTP_BAD_REQUEST',
  UNAUTHORIZED: 'ERR_MEMWIRE_HTTP_UNAUTHORIZED',
  FORBIDDEN: 'ERR_MEMWIRE_HTTP_FORBIDDEN',
  NOT_FOUND: 'ERR_MEMWIRE_HTTP_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'ERR_MEMWIRE_HTTP_METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'ERR_MEMWIRE_HTTP_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'ERR_MEMWIRE_HTTP_UNSUPPORTED_MEDIA_TYPE',
  UNAVAILABLE: 'ERR_MEMWIRE_HTTP_UNAVAILABLE',
  BAD_GATEWAY: 'ERR_MEMWIRE_HTTP_BAD_GATEWAY',
  NOT_IMPLEMENTED: 'ERR_MEMWIRE_HTTP_NOT_IMPLEMENTED',
  INTERNAL: 'ERR_MEMWIRE_HTTP_INTERNAL',
} as const;

/**
 * The HTTP answer for an error from the client. Input errors keep their memwire code and message
 * (they describe what the caller sent); failures of the cache get fixed messages, so no server
 * address, credential or stack trace reaches the caller.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  switch (code) {
    case ErrorCodes.INVALID_KEY:
    case ErrorCodes.INVALID_ARGUMENT:
    case ErrorCodes.INVALID_VALUE:
      return new HttpError(400, code, message);
    case ErrorCodes.VALUE_TOO_LARGE:
      return new HttpError(413, code, message);
    case ErrorCodes.ITEM_TOO_LARGE:
      // memcached's "SERVER_ERROR object too large for cache" (its -I), told by the core's code.
      return new HttpError(413, ErrorCodes.VALUE_TOO_LARGE, 'the value is larger than the cache item size');
    case ErrorCodes.CONNECTION:
    case ErrorCodes.TIMEOUT:
    case ErrorCodes.AUTH:
    case ErrorCodes.AUTH_REQUIRED:
    case ErrorCodes.CLOSED:
    case ErrorCodes.PROTOCOL:
    case ErrorCodes.ABORTED:
      return new HttpError(503, RouterErrorCodes.UNAVAILABLE, 'the cache is unreachable', {
        'retry-after': '1',
      });
    case ErrorCodes.SERVER_ERROR:
      return new HttpError(502, RouterErrorCodes.BAD_GATEWAY, 'the cache refused the command');
    case ErrorCodes.UNSUPPORTED:
      return new HttpError(501, RouterErrorCodes.NOT_IMPLEMENTED, 'the cache does not support this command');
    default:
      return new HttpError(500, RouterErrorCodes.INTERNAL, 'the request could not be completed');
  }
}
