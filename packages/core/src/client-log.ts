import type { EventEmitter } from 'node:events';
import { AuthError, type MemwireError } from './errors.js';
import { type LogLevels, logLevels, type MemwireLogger } from './logger.js';

/** The client events the log follows (a structural view of `ClientEvents`). */
interface LoggedEvents {
  serverDown: [{ server: string; error: Error }];
  serverUp: [{ server: string }];
  topologyChange: [{ servers: string[]; version: number }];
  discoveryError: [{ error: Error }];
}

function describe(error: Error): string {
  const code = (error as Partial<MemwireError>).code;
  return code === undefined ? error.message : `${code}: ${error.message}`;
}

/**
 * Turns the client's events into one line each, once per change of state: a server going down is
 * logged when it is marked down (not for each command that fails meanwhile), its recovery when a probe
 * succeeds, a failing discovery once until the node list changes again. Messages carry the error's code
 * and message, which never hold a credential (see config/secrets.ts).
 */
export function logClientEvents(client: EventEmitter<LoggedEvents>, logger: MemwireLogger): LogLevels {
  const log = logLevels(logger);
  let discoveryFailing = false;
  client.on('serverDown', ({ server, error }) => {
    if (error instanceof AuthError) {
      log.error(
        `memwire: login to ${server} refused (${describe(error)}); check the username, password and dialect`,
      );
    } else {
      log.warn(
        `memwire: ${server} is down (${describe(error)}); its commands fail fast until it answers a probe`,
      );
    }
  });
  client.on('serverUp', ({ server }) => log.info(`memwire: ${server} is up again`));
  client.on('discoveryError', ({ error }) => {
    if (discoveryFailing) return;
    discoveryFailing = true;
    log.warn(`memwire: auto discovery failed (${describe(error)}); keeping the current node list`);
  });
  client.on('topologyChange', ({ servers, version }) => {
    discoveryFailing = false;
    log.info(`memwire: cluster configuration ${version}: ${servers.join(', ')}`);
  });
  return log;
}
