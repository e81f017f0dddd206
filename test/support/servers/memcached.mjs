// memcached for the tests, the benchmarks and the scripts: a free port (or the one asked for), -Y
// auth, -Z TLS, stop/kill/restart by pid, and what it wrote to stderr when it fails to start.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerStartError } from './errors.mjs';
import { assertPortFree, freePort, waitUntilAccepting } from './ports.mjs';
import {
  endProcess,
  findOnPath,
  makeTempDir,
  removeTempDir,
  startProcess,
  stopProcess,
  trackDir,
} from './processes.mjs';

/** Every option's default, in one place (the .d.mts documents each). */
export const MEMCACHED_DEFAULTS = Object.freeze({ host: '127.0.0.1', memoryMb: 64, threads: 1, args: [] });
const START_ATTEMPTS = 3;

/** Handles not yet stopped, so stopAllMemcached() also removes their files. */
const servers = new Set();
/** Processes whose start is still in flight, so not yet owned by a handle. */
const starting = new Set();

/** MEMCACHED_BIN, else memcached on PATH (or /usr/bin, where Debian puts it), else undefined. */
export function findMemcached() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read by vitest, bench and scripts, never by a turbo task
  return process.env.MEMCACHED_BIN || findOnPath('memcached', ['/usr/bin', '/usr/local/bin']);
}

export async function startMemcached(options = {}) {
  // An option given as undefined (a caller passing its own optional through) keeps its default.
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  const settings = { ...MEMCACHED_DEFAULTS, ...Object.fromEntries(given) };
  const binary = settings.binary ?? findMemcached();
  if (binary === undefined) {
    const message = 'memcached is not on PATH; run `node scripts/ensure-memcached.mjs` to install it';
    throw new ServerStartError('ERR_SERVER_NOT_INSTALLED', 'memcached', settings.host, message);
  }
  const files = { auth: settings.auth, tls: settings.tls };
  const filesDir =
    files.auth !== undefined || files.tls !== undefined ? await makeTempDir('memwire-memcached-') : undefined;
  try {
    if (filesDir !== undefined) await writeServerFiles(filesDir, files);
    // A port from freePort() can be taken by someone else before memcached binds it, so retry with a
    // fresh one; a port the caller chose is used once, as asked.
    const attempts = settings.port === undefined ? START_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const port = settings.port ?? (await freePort(settings.host));
      const spec = { binary, host: settings.host, port, files, filesDir };
      spec.args = buildArgs(spec, settings);
      try {
        const server = createHandle(spec, await launch(spec));
        servers.add(server);
        return server;
      } catch (error) {
        if (error?.code !== 'ERR_SERVER_PORT_IN_USE' || attempt >= attempts) throw error;
      }
    }
  } catch (error) {
    if (filesDir !== undefined) await removeTempDir(filesDir);
    throw error;
  }
}

export async function stopAllMemcached() {
  await Promise.all([...servers].map((server) => server.stop()));
  await Promise.all([...starting].map((proc) => endProcess(proc, 'SIGKILL')));
}

function createHandle(spec, first) {
  const { host, port, files, filesDir } = spec;
  let current = first;
  const server = {
    host,
    port,
    address: `${host}:${port}`,
    get pid() {
      return current.pid;
    },
    async stop() {
      servers.delete(server);
      await stopProcess(current);
      if (filesDir !== undefined) await removeTempDir(filesDir);
    },
    async kill() {
      await endProcess(current, 'SIGKILL');
    },
    async restart() {
      await stopProcess(current);
      // stop() may have removed the files; the arguments still name them, so put them back in place.
      if (filesDir !== undefined) {
        trackDir(filesDir);
        await writeServerFiles(filesDir, files);
      }
      current = await launch(spec);
      servers.add(server);
    },
  };
  return server;
}

function buildArgs({ host, port, filesDir }, settings) {
  const args = ['-l', host, '-p', String(port), '-U', '0'];
  args.push('-m', String(settings.memoryMb), '-t', String(settings.threads));
  // memcached refuses to start as root unless told which user to run as.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  if (filesDir !== undefined && settings.auth) args.push('-Y', join(filesDir, 'auth'));
  if (filesDir !== undefined && settings.tls) {
    // Option names from `memcached -h` (1.6.18); the chain file holds just the leaf, signed by the CA.
    const cert = join(filesDir, 'cert.pem');
    const key = join(filesDir, 'key.pem');
    args.push('-Z', '-o', `ssl_chain_cert=${cert},ssl_key=${key}`);
  }
  return [...args, ...settings.args];
}

async function writeServerFiles(dir, { auth, tls }) {
  await mkdir(dir, { recursive: true });
  if (auth) await writeFile(join(dir, 'auth'), `${auth.username}:${auth.password}\n`, { mode: 0o600 });
  if (tls) {
    await writeFile(join(dir, 'cert.pem'), tls.cert);
    await writeFile(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
  }
}

async function launch({ binary, args, host, port }) {
  await assertPortFree('memcached', host, port);
  const proc = startProcess(binary, args);
  starting.add(proc);
  try {
    await waitUntilAccepting(proc, {
      server: 'memcached',
      host,
      port,
      // memcached 1.6.18 on a taken port: "failed to listen on TCP port N: Address already in use".
      portInUse: (stderr) => /address already in use/i.test(stderr),
    });
  } finally {
    starting.delete(proc);
  }
  return proc;
}
