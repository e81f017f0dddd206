import { isIP } from 'node:net';
import type { ServerAddress } from './config/server-address.js';

let warned = false;

/** Whether `host` names this machine (`localhost`, `::1`, 127.0.0.0/8): traffic to it never crosses a network. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The pseudo-set sends credentials in clear text: warn once per process when they would cross a
 * network (a non-loopback host without TLS). Uses process warnings so it can be silenced or turned
 * into an error with Node's own flags.
 */
export function warnIfCleartext(
  servers: readonly ServerAddress[],
  logger?: { warn(message: string): void },
): void {
  if (servers.every((server) => isLoopback(server.host))) return;
  // A logger hears it once per client that would send them; a process warning, once per process.
  if (logger !== undefined) {
    logger.warn(CLEARTEXT);
    return;
  }
  if (warned) return;
  warned = true;
  process.emitWarning(CLEARTEXT, { code: 'MEMWIRE_CLEARTEXT_CREDENTIALS' });
}

const CLEARTEXT =
  'memwire: credentials are sent in clear text to a non-loopback memcached server; use TLS (tls: true or memcaches://) where the network is not trusted';
