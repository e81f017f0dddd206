import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import {
  type MemcachedServer,
  type NodeScriptRun,
  runNodeScript,
  startFakeServer,
  startMemcached,
} from '../../../../test/support/index.js';

const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = join(coreDir, 'dist/index.mjs');

let memcached: MemcachedServer;
beforeAll(async () => {
  // CI builds before running vitest; a local run without a build gets one here.
  if (!existsSync(dist)) {
    execFileSync(process.execPath, [resolve(coreDir, '../../node_modules/tsdown/dist/run.mjs')], {
      cwd: coreDir,
      stdio: 'ignore',
    });
  }
  memcached = await startMemcached();
}, 60_000);
afterAll(async () => {
  await memcached?.stop();
});

/** Runs `body` in a child Node with `createClient` in scope; resolves once it exits by itself. */
function runChild(body: string, servers: string): Promise<NodeScriptRun> {
  const script = `const { createClient } = await import(${JSON.stringify(pathToFileURL(dist).href)});
const client = createClient({ servers: process.argv.at(-1), env: {}, commandTimeout: 5000, unrefWhenIdle: true });
${body}`;
  return runNodeScript(script, { args: [servers] });
}

describe('unrefWhenIdle', () => {
  test('an idle client does not keep the process alive, with no close()', async () => {
    const { code, stdout, stderr } = await runChild(
      `await client.set('idle', 'hello');
      console.log(JSON.stringify(await client.get('idle')));`,
      memcached.address,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('"hello"');
  });

  test('a command waiting for its reply still holds the process (the socket is ref’d again)', async () => {
    // A server that answers a get late: the only thing left to keep the child alive is its socket.
    const late = await startFakeServer((socket, chunk) => {
      const text = chunk.toString('latin1');
      if (text.startsWith('set ')) socket.write('STORED\r\n');
      if (text.startsWith('get ')) setTimeout(() => socket.write('VALUE late 0 4\r\nlate\r\nEND\r\n'), 300);
    });
    onTestFinished(() => late.close());
    const { code, stdout } = await runChild(
      // The same key travels on the same connection: connected, idle (unref'd), then asked again.
      `await client.set('late', 'x');
      const value = await client.get('late');
      console.log(JSON.stringify(Buffer.isBuffer(value) ? value.toString() : value));`,
      late.address,
    );
    // A process that exited with the get unsettled would say 13 (unsettled top-level await).
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('"late"');
  });

  test('close() with a command in flight completes before the process exits, however late the server closes', async () => {
    // The get's reply comes at once, the close 300 ms after `quit`: between the two nothing but the
    // closing socket holds the child, and close() must still be awaited to the end.
    const slowClose = await startFakeServer(
      (socket, chunk) => {
        const text = chunk.toString('latin1');
        if (text.includes('get ')) setTimeout(() => socket.write('END\r\n'), 50);
        if (text.includes('quit\r\n')) setTimeout(() => socket.end(), 300);
      },
      { allowHalfOpen: true },
    );
    onTestFinished(() => slowClose.close());
    const { code, stdout, stderr } = await runChild(
      `const pending = client.get('k');
      await new Promise((resolve) => setTimeout(resolve, 10));
      const closing = client.close();
      console.log(JSON.stringify(await pending));
      await closing;
      console.log('closed');`,
      slowClose.address,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.trim().split('\n')).toEqual(['undefined', 'closed']);
  });

  test('close() completes before the process exits', async () => {
    const { code, stdout } = await runChild(
      `await client.set('closing', 1);
      await client.close();
      console.log('closed');`,
      memcached.address,
    );
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('closed');
  });
});
