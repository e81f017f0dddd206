import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt } from '../../../test/support/ensure-built.js';
import {
  type MemcachedServer,
  type NodeScriptRun,
  runNodeScript,
  startMemcached,
} from '../../../test/support/index.js';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(packageDir, 'dist/index.mjs');

let memcached: MemcachedServer;
beforeAll(async () => {
  ensureBuilt(packageDir);
  memcached = await startMemcached();
}, 60_000);
afterAll(async () => {
  await memcached?.stop();
});

/**
 * An app with a router that made its own client: it serves requests that reach memcached, closes its
 * HTTP server, and (unless CLOSE is set) never calls router.close(). It must still exit by itself.
 */
const APP = `
import { createServer, request } from 'node:http';
import { cacheRouter } from ${JSON.stringify(pathToFileURL(dist).href)};

const servers = process.argv.at(-1);
const router = cacheRouter({ apiKey: false, memcached: { servers, env: {} } });
const server = createServer((req, res) => router(req, res));
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const { port } = server.address();
const ask = (method, path, body) => new Promise((done, fail) => {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
    res.resume().on('end', () => done(res.statusCode));
  }).on('error', fail).end(body);
});
const statuses = [await ask('PUT', '/lifecycle', '{"value":1}'), await ask('GET', '/lifecycle')];
await new Promise((done) => server.close(done));
if (process.env.CLOSE === '1') await router.close();
console.log(JSON.stringify({ statuses }));
`;

/** Runs the app in a child Node; resolves once it exits by itself (rejects if it has not within 10 s). */
function runApp(env: Record<string, string> = {}): Promise<NodeScriptRun> {
  return runNodeScript(APP, { args: [memcached.address], cwd: packageDir, env });
}

describe('a router that made its own client', () => {
  test('lets the process exit once the HTTP server is closed, without router.close()', async () => {
    const { code, stdout, stderr } = await runApp();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // Both requests reached memcached (a 503 would mean no socket was ever opened).
    expect(JSON.parse(stdout)).toEqual({ statuses: [204, 200] });
  });

  test('router.close() closes it, and the process exits', async () => {
    const { code, stdout } = await runApp({ CLOSE: '1' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ statuses: [204, 200] });
  });
});
