// Starts a throwaway memcached on a free loopback port for the demo and the Node 20 smoke test.
// Plain ESM with no dependencies, so it runs on the machine's own Node.
import { spawn } from 'node:child_process';
import net from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves to { address, stop() }; the process is ended by its own pid. */
export async function startLocalMemcached() {
  const port = await freePort();
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64'];
  // memcached refuses to run as root unless told which user to be.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn('memcached', args, { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = () =>
    new Promise((resolve) => {
      if (exited || child.pid === undefined) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid, 'SIGKILL');
    });
  process.once('exit', () => {
    if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  for (let i = 0; i < 250; i++) {
    if (exited) throw new Error('memcached exited at start; run: node scripts/ensure-memcached.mjs');
    if (await accepts(port)) return { address: `127.0.0.1:${port}`, pid: child.pid, stop };
    await new Promise((r) => setTimeout(r, 20));
  }
  await stop();
  throw new Error(`memcached did not accept connections on port ${port}`);
}
