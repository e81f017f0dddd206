import { ClientError, type MemwireError, ServerError } from '../errors.js';

/**
 * The error replies any command can get (protocol.txt "Error strings"). Each concerns that command
 * only: the server has consumed the command and the connection stays in step.
 */
export function errorReply(line: string, server: string): MemwireError | undefined {
  if (line === 'ERROR') return new ClientError('the server does not know this command (ERROR)', { server });
  if (line.startsWith('CLIENT_ERROR')) {
    return new ClientError(`CLIENT_ERROR ${line.slice(13)}`.trim(), { server });
  }
  if (line.startsWith('SERVER_ERROR')) {
    return new ServerError(`SERVER_ERROR ${line.slice(13)}`.trim(), { server });
  }
  return undefined;
}
