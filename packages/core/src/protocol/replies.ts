import {
  AuthRequiredError,
  ClientError,
  ItemTooLargeError,
  type MemwireError,
  ServerError,
} from '../errors.js';

const AUTH_REPLIES = new Set([
  'CLIENT_ERROR unauthenticated',
  'CLIENT_ERROR bad authentication token format',
  'CLIENT_ERROR authentication failure',
]);

/** memcached 1.6's reply to a value over its item size (-I), for `set` and `ms` alike. */
const ITEM_TOO_LARGE = 'SERVER_ERROR object too large for cache';

/**
 * The error replies any command can get (protocol.txt "Error strings"). Each concerns that command
 * only: the server has consumed the command and the connection stays in step.
 */
export function errorReply(line: string, server: string): MemwireError | undefined {
  if (line === 'ERROR') return new ClientError('the server does not know this command (ERROR)', { server });
  // memcached -Y without a login: any command is "unauthenticated", and a set is read as a login
  // attempt. A connection with credentials has logged in before any command, so these replies mean
  // none were configured: ERR_MEMWIRE_AUTH_REQUIRED, not a client error.
  if (AUTH_REPLIES.has(line)) {
    return new AuthRequiredError(
      `the server requires authentication (${line}): configure username and password`,
      { server },
    );
  }
  if (line === ITEM_TOO_LARGE) return new ItemTooLargeError(line, { server });
  if (line.startsWith('CLIENT_ERROR')) {
    return new ClientError(`CLIENT_ERROR ${line.slice(13)}`.trim(), { server });
  }
  if (line.startsWith('SERVER_ERROR')) {
    return new ServerError(`SERVER_ERROR ${line.slice(13)}`.trim(), { server });
  }
  return undefined;
}
