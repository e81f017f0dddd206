import type { ServerProcess } from './processes.mjs';

/** How long waitUntilAccepting waits. */
export const ACCEPT_LIMIT_MS: number;

/**
 * Asks the OS for a currently free TCP port. The port is released before returning, so a caller
 * racing another process for it can still lose; callers that bind it should be ready to retry.
 * @default host '127.0.0.1'
 */
export function freePort(host?: string): Promise<number>;
/**
 * Binds `server` (a node:net or node:http server of this process) to a port the OS picks and resolves
 * with that port. @default host '127.0.0.1'
 */
export function listenOnFreePort(server: import('node:net').Server, host?: string): Promise<number>;
/** Whether something accepts a TCP connection on `host:port` (within 1 s). @default host '127.0.0.1' */
export function accepts(port: number, host?: string): Promise<boolean>;
/** @throws {ServerStartError} ERR_SERVER_PORT_IN_USE when something already answers there. */
export function assertPortFree(server: string, host: string, port: number): Promise<void>;

export interface AcceptWait {
  /** Its name in errors: `memcached`, `nutcracker`. */
  server: string;
  host: string;
  port: number;
  /** Whether the output of a process that exited says it could not bind the port. */
  portInUse?: (output: string) => boolean;
  /** More output for the error, for servers that log somewhere other than stderr. */
  detail?: () => Promise<string>;
}

/**
 * Resolves once `proc` is running and accepts on `host:port`; otherwise ends it by pid and rejects
 * with a ServerStartError after ACCEPT_LIMIT_MS or as soon as it exits.
 */
export function waitUntilAccepting(proc: ServerProcess, wait: AcceptWait): Promise<void>;
