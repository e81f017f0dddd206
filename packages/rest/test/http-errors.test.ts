import {
  AuthRequiredError,
  ErrorCodes,
  ItemTooLargeError,
  ServerError,
  ValueTooLargeError,
} from '@memwire/core';
import { describe, expect, test } from 'vitest';
import { RouterErrorCodes, toHttpError } from '../src/http-errors.js';

describe('toHttpError decides by error code, never by message text', () => {
  test("memcached's item-size refusal is a 413, by its code", () => {
    const error = toHttpError(
      new ItemTooLargeError('SERVER_ERROR object too large for cache', { server: 'a:1' }),
    );
    expect(error).toMatchObject({ status: 413, code: ErrorCodes.VALUE_TOO_LARGE });
    expect(error.message).not.toContain('a:1');
  });

  test('a value over maxValueSize is a 413 too', () => {
    expect(toHttpError(new ValueTooLargeError(10, 5))).toMatchObject({ status: 413 });
  });

  test('another SERVER_ERROR that happens to say "too large" is a 502, not a 413', () => {
    const error = toHttpError(new ServerError('SERVER_ERROR backend reply too large'));
    expect(error).toMatchObject({ status: 502, code: RouterErrorCodes.BAD_GATEWAY });
  });

  test('a server wanting a login the service was not given is a 503, like a refused login', () => {
    const error = toHttpError(new AuthRequiredError('the server requires authentication', { server: 'a:1' }));
    expect(error).toMatchObject({ status: 503, code: RouterErrorCodes.UNAVAILABLE });
  });
});
