// twemproxy (`nutcracker`, Debian's 0.5.0) with one memcache pool over the given servers: ketama
// distribution, auto_eject_hosts off, its config, log and stats on free local ports in a temporary
// directory.
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ServerStartError } from './errors.mjs';
import { assertPortFree, freePort, waitUntilAccepting } from './ports.mjs';
import { findOnPath, makeTempDir, removeTempDir, startProcess, stopProcess } from './processes.mjs';

/** How often twemproxy refreshes its stats (`-i`); its default of 30 s is too slow for tests. */
export const STATS_INTERVAL_MS = 50;
const POOL = 'memwire';
const START_ATTEMPTS = 3;

const handles = new Set();

export async function startNutcracker(options) {
  // Debian puts nutcracker in /usr/sbin, which is not on a normal user's PATH.
  const binary = findOnPath('nutcracker', ['/usr/sbin', '/usr/local/sbin']);
  if (binary === undefined) {
    const message = 'nutcracker is not installed (apt-get install nutcracker)';
    throw new ServerStartError('ERR_SERVER_NOT_INSTALLED', 'nutcracker', '127.0.0.1', message);
  }
  const dir = await makeTempDir('memwire-nutcracker-');
  try {
    for (let attempt = 1; ; attempt++) {
      const [port, statsPort] = [await freePort(), await freePort()];
      const config = buildConfig(port, options);
      await writeFile(join(dir, 'nutcracker.yml'), config);
      try {
        const proc = await launch(binary, dir, port, statsPort);
        const handle = createHandle({ proc, dir, port, statsPort, config });
        handles.add(handle);
        return handle;
      } catch (error) {
        // A free port can be taken before nutcracker binds it: try fresh ones.
        if (error?.code !== 'ERR_SERVER_PORT_IN_USE' || attempt >= START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

export async function stopAllNutcracker() {
  await Promise.all([...handles].map((handle) => handle.stop()));
}

function buildConfig(port, options) {
  const lines = [
    `${POOL}:`,
    `  listen: 127.0.0.1:${port}`,
    `  hash: ${options.hash ?? 'md5'}`,
    '  distribution: ketama',
    '  auto_eject_hosts: false',
  ];
  if (options.serverTimeoutMs !== undefined) lines.push(`  timeout: ${options.serverTimeoutMs}`);
  lines.push('  servers:', ...options.serverPorts.map((p) => `    - 127.0.0.1:${p}:1`));
  return `${lines.join('\n')}\n`;
}

function createHandle({ proc, dir, port, statsPort, config }) {
  const handle = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    pid: proc.pid,
    config,
    stats: () => readStats(statsPort),
    async stop() {
      handles.delete(handle);
      await stopProcess(proc);
      await removeTempDir(dir);
    },
  };
  return handle;
}

async function launch(binary, dir, port, statsPort) {
  await assertPortFree('nutcracker', '127.0.0.1', port);
  const log = join(dir, 'nutcracker.log');
  const args = ['-c', join(dir, 'nutcracker.yml'), '-s', String(statsPort), '-a', '127.0.0.1'];
  args.push('-i', String(STATS_INTERVAL_MS), '-o', log);
  const proc = startProcess(binary, args);
  await waitUntilAccepting(proc, {
    server: 'nutcracker',
    host: '127.0.0.1',
    port,
    // nutcracker logs its bind failure ("Address already in use") to the log file, not stderr.
    detail: () => readFile(log, 'utf8').catch(() => ''),
    portInUse: (output) => /address already in use/i.test(output),
  });
  return proc;
}

function readStats(statsPort) {
  return new Promise((resolve, reject) => {
    // twemproxy writes one JSON document and closes the connection.
    const socket = connect(statsPort, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2_000, () => socket.destroy(new Error('nutcracker stats: no answer in 2 s')));
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        const pool = JSON.parse(text)[POOL] ?? {};
        const requests = {};
        for (const [name, value] of Object.entries(pool)) {
          if (typeof value === 'object' && value !== null && 'requests' in value) {
            requests[name] = Number(value.requests);
          }
        }
        resolve({
          client_err: Number(pool['client_err']),
          client_eof: Number(pool['client_eof']),
          client_connections: Number(pool['client_connections']),
          requests,
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}
