import { AuthError, ClientError, type MemwireError, ServerError } from '../errors.js';

const AUTH_REPLIES = new Set([
  'CLIENT_ERROR unauthenticated',
  'CLIENT_ERROR bad authentication token format',
  'CLIENT_ERROR authentication failure',
]);

/**
 * The error replies any command can get (protocol.txt "Error strings"). Each concerns that command
 * only: the server has consumed the command and the connection stays in step.
 */
export function errorReply(line: string, server: string): MemwireError | undefined {
  if (line === 'ERROR') return new ClientError('the server does not know this command (ERROR)', { server });
  // memcached -Y without a login: any command is "unauthenticated", and a set is read as a login
  // attempt. The fix is credentials, so callers should see ERR_MEMWIRE_AUTH, not a client error.
  if (AUTH_REPLIES.has(line)) {
    return new AuthError(`the server requires authentication (${line}): configure username and password`, {
      server,
    });
  }
  if (line.startsWith('CLIENT_ERROR')) {
    return new ClientError(`CLIENT_ERROR ${line.slice(13)}`.trim(), { server });
  }
  if (line.startsWith('SERVER_ERROR')) {
    return new ServerError(`SERVER_ERROR ${line.slice(13)}`.trim(), { server });
  }
  return undefined;
}
