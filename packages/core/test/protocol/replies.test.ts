import { describe, expect, test } from 'vitest';
import {
  AuthError,
  AuthRequiredError,
  ClientError,
  ItemTooLargeError,
  ServerError,
} from '../../src/errors.js';
import { errorReply } from '../../src/protocol/replies.js';

describe('errorReply', () => {
  test('turns ERROR into a ClientError naming the server', () => {
    const error = errorReply('ERROR', 'a:11211');
    expect(error).toBeInstanceOf(ClientError);
    expect(error?.code).toBe('ERR_MEMWIRE_CLIENT_ERROR');
    expect(error?.message).toBe('the server does not know this command (ERROR)');
    expect(error?.server).toBe('a:11211');
  });

  test('turns CLIENT_ERROR into a ClientError keeping the server text', () => {
    const error = errorReply('CLIENT_ERROR cannot increment or decrement non-numeric value', 'a:11211');
    expect(error).toBeInstanceOf(ClientError);
    expect(error?.message).toBe('CLIENT_ERROR cannot increment or decrement non-numeric value');
    expect(error?.server).toBe('a:11211');
  });

  test('turns SERVER_ERROR into a ServerError keeping the server text', () => {
    const error = errorReply('SERVER_ERROR out of memory storing object', 'b:11211');
    expect(error).toBeInstanceOf(ServerError);
    expect(error?.code).toBe('ERR_MEMWIRE_SERVER_ERROR');
    expect(error?.message).toBe('SERVER_ERROR out of memory storing object');
    expect(error?.server).toBe('b:11211');
  });

  test("turns memcached's item-size refusal into an ItemTooLargeError with its own code, still a ServerError", () => {
    const error = errorReply('SERVER_ERROR object too large for cache', 'b:11211');
    expect(error).toBeInstanceOf(ItemTooLargeError);
    expect(error).toBeInstanceOf(ServerError);
    expect(error?.code).toBe('ERR_MEMWIRE_ITEM_TOO_LARGE');
    expect(error?.message).toBe('SERVER_ERROR object too large for cache');
    expect(error?.server).toBe('b:11211');
  });

  test('handles an error line without text', () => {
    expect(errorReply('CLIENT_ERROR', 'a:1')?.message).toBe('CLIENT_ERROR');
    expect(errorReply('SERVER_ERROR', 'a:1')?.message).toBe('SERVER_ERROR');
  });

  test.each(['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'END', '42', 'ERRORS', 'VALUE k 0 1'])(
    'returns undefined for the non-error line %j',
    (line) => {
      expect(errorReply(line, 'a:1')).toBeUndefined();
    },
  );
});

describe('errorReply for memcached -Y before a login', () => {
  test.each([
    'CLIENT_ERROR unauthenticated',
    'CLIENT_ERROR bad authentication token format',
    'CLIENT_ERROR authentication failure',
  ])('turns %j, a login required and none given, into an AuthRequiredError naming the server', (line) => {
    const error = errorReply(line, 'h:1');
    expect(error).toBeInstanceOf(AuthRequiredError);
    expect(error).toBeInstanceOf(AuthError);
    expect(error?.code).toBe('ERR_MEMWIRE_AUTH_REQUIRED');
    expect(error?.server).toBe('h:1');
  });
});
