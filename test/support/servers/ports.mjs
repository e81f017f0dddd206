// Ports: finding a free one, and waiting until a server we started answers on its own.
import { connect, createServer } from 'node:net';
import { ServerStartError } from './errors.mjs';
import { endProcess } from './processes.mjs';

const ACCEPT_POLL_MS = 20;
export const ACCEPT_LIMIT_MS = 5_000;
// An address that drops packets (a 127.0.0.x that is not routed) would otherwise hang the probe.
const PROBE_TIMEOUT_MS = 1_000;

/**
 * The port is released before this resolves, so another process can take it before ours binds it:
 * launchers retry with a fresh one on ERR_SERVER_PORT_IN_USE.
 */
export async function freePort(host = '127.0.0.1') {
  const server = createServer();
  server.unref();
  const port = await listenOnFreePort(server, host);
  await new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

/** Binds `server` to a port the OS picks on `host` and resolves with it (for in-process servers). */
export function listenOnFreePort(server, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('listenOnFreePort: server has no TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}

export function accepts(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(PROBE_TIMEOUT_MS);
    const settle = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}

/** Before spawning: otherwise the readiness poll would take whoever holds the port for our server. */
export async function assertPortFree(server, host, port) {
  if (await accepts(port, host)) {
    throw new ServerStartError(
      'ERR_SERVER_PORT_IN_USE',
      server,
      `${host}:${port}`,
      `${server}: port ${port} is already in use`,
    );
  }
}

/**
 * Resolves once `proc` is running and `host:port` accepts; rejects with a ServerStartError (what the
 * process wrote to stderr, and `detail()` for servers that log elsewhere) after ending it by pid.
 * `portInUse(text)` tells a bind failure, which the caller may retry on another port, from the rest.
 */
export async function waitUntilAccepting(proc, { server, host, port, portInUse, detail }) {
  const deadline = Date.now() + ACCEPT_LIMIT_MS;
  let gone = false;
  void proc.exited.then(() => {
    gone = true;
  });
  for (;;) {
    // Checked after the probe too: the port may be answered by another process while ours failed to bind.
    if (!gone && (await accepts(port, host)) && proc.isRunning()) return;
    if (gone || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, ACCEPT_POLL_MS));
  }
  const { exitCode, signalCode } = proc.child;
  await endProcess(proc, 'SIGKILL');
  const output = `${proc.stderr()}\n${(await detail?.()) ?? ''}`.trim();
  const address = `${host}:${port}`;
  let code = gone ? 'ERR_SERVER_EXITED' : 'ERR_SERVER_START_TIMEOUT';
  if (proc.spawnError?.code === 'ENOENT') code = 'ERR_SERVER_NOT_INSTALLED';
  else if (gone && portInUse?.(output)) code = 'ERR_SERVER_PORT_IN_USE';
  const what = gone
    ? `exited before accepting connections (exit ${exitCode ?? signalCode ?? 'at spawn'})`
    : `did not accept within ${ACCEPT_LIMIT_MS} ms`;
  throw new ServerStartError(
    code,
    server,
    address,
    `${server} on port ${port} ${what}${output ? `: ${output}` : ''}`,
  );
}
