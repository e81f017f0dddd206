import { request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { createMemwireCache } from '@memwire/cache-manager';
import { createKeyv } from '@memwire/keyv';
import express from 'express';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { responseCache } from '../../packages/express/src/index.js';
import { cacheRouter } from '../../packages/rest/src/index.js';
import { type MemcachedServer, startMemcached, startRecordingRelay } from '../support/index.js';

/**
 * cacheRouter shares a memcached with the application's other adapters. With the API key alone, a
 * caller must not read, forge or delete what responseCache (pages served to every visitor), Keyv
 * (sessions, and the generation that hides cleared ones) or cache-manager stored.
 */

let memcached: MemcachedServer;
/** Every key the adapters wrote, as memcached holds them. */
let adapterKeys: string[];
beforeAll(async () => {
  memcached = await startMemcached();
  // The adapters talk through a relay, so the keys they wrote are read off the wire.
  const relay = await startRecordingRelay(memcached.port);
  const servers = { servers: relay.address, env: {} };

  const page = responseCache({ memcached: servers, ttl: 60 });
  const app = express();
  app.get('/page', page, (_req, res) => {
    res.type('html').send('<p>the real page</p>');
  });
  const web = await listen(app);
  await fetchText(web.port, 'GET', '/page');
  await page.settled();
  await web.close();
  await page.close();

  const sessions = createKeyv({ ...servers, namespace: 'sessions' });
  await sessions.set('user-1', { name: 'ada' });
  await sessions.clear(); // bumps the generation: the cleared session must stay gone
  await sessions.set('user-2', { name: 'bob' });
  await sessions.disconnect();

  const reports = createMemwireCache({ ...servers, namespace: 'reports' });
  await reports.set('weekly', { total: 3 });
  await reports.disconnect();

  await relay.close();
  const written = writtenKeys(relay.connections.map((c) => c.sent.toString('latin1')).join(''));
  // Only what is still there (a lock, say, is written and deleted again).
  adapterKeys = [...(await valuesOf(memcached, written)).keys()];
});
afterAll(async () => {
  await memcached.stop();
});

describe('cacheRouter with its defaults, next to the other adapters', () => {
  test('the adapters really wrote keys of their own (the ones this suite attacks)', () => {
    expect(adapterKeys.some((key) => key.startsWith('http:'))).toBe(true);
    expect(adapterKeys.some((key) => key.startsWith('sessions:'))).toBe(true);
    expect(adapterKeys.some((key) => key.startsWith('sessions:_gen'))).toBe(true);
    expect(adapterKeys.some((key) => key.startsWith('reports:'))).toBe(true);
  });

  test('cannot read, overwrite or delete any of their keys', async () => {
    const service = await routerService({});
    for (const key of adapterKeys) {
      const path = `/cache/${encodeURIComponent(key)}`;
      expect((await service.request('GET', path)).status, `GET ${key}`).toBe(404);
      expect((await service.request('DELETE', path)).status, `DELETE ${key}`).toBe(404);
      const put = await service.request('PUT', path, JSON.stringify({ value: 'forged', ttl: 0 }));
      expect(put.status, `PUT ${key}`).toBe(204);
    }
    const batch = await service.request(
      'POST',
      '/cache',
      JSON.stringify({ resource: adapterKeys.map((key) => ({ key, value: 'forged' })) }),
    );
    expect(batch.status).toBe(201);
    const read = await service.request('GET', `/cache?keys=${adapterKeys.map(encodeURIComponent).join(',')}`);
    // What it reads back is only what it wrote itself, under its own prefix.
    expect(JSON.parse(read.text).resource.map((item: { value: unknown }) => item.value)).toEqual(
      adapterKeys.map(() => 'forged'),
    );
    // Every adapter key is still there, none holds the forged value, and the forgeries went under rest:.
    const held = await valuesOf(memcached, adapterKeys);
    expect([...held.keys()].sort()).toEqual([...adapterKeys].sort());
    for (const [key, value] of held) expect(value, key).not.toContain('forged');
    const forged = await valuesOf(
      memcached,
      adapterKeys.map((key) => `rest:${key}`),
    );
    expect(forged.size).toBe(adapterKeys.length);
  });

  test("keyPrefix: '' opts into the whole keyspace (so the attack above is what the default stops)", async () => {
    const service = await routerService({ keyPrefix: '' });
    const cm = adapterKeys.find((key) => key.startsWith('reports:'))!;
    expect((await service.request('GET', `/cache/${encodeURIComponent(cm)}`)).status).toBe(200);
  });
});

async function routerService(options: { keyPrefix?: string }) {
  const router = cacheRouter({
    apiKey: 'keyspace-key',
    memcached: { servers: memcached.address, env: {} },
    ...options,
  });
  const app = express();
  app.use('/cache', router);
  const web = await listen(app);
  onTestFinished(async () => {
    await web.close();
    await router.close();
  });
  return {
    request: (method: string, path: string, body?: string) =>
      fetchText(web.port, method, path, body, {
        'x-api-key': 'keyspace-key',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      }),
  };
}

async function listen(app: express.Express): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fetchText(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One raw exchange with memcached, read until `done` says the reply is whole. */
function exchange(
  server: MemcachedServer,
  command: string,
  done: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, server.host);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        socket.end();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.write(command);
  });
}

/** The keys of every storage command in `sent` (protocol.txt: `<command> <key> <flags> …`). */
function writtenKeys(sent: string): string[] {
  const keys = new Set<string>();
  for (const line of sent.split('\r\n')) {
    const [command, key] = line.split(' ');
    if (['set', 'add', 'cas', 'replace', 'append', 'prepend', 'incr'].includes(command!) && key)
      keys.add(key);
  }
  return [...keys];
}

/** The raw values the server holds for `keys` (a missing key is absent from the map). */
async function valuesOf(server: MemcachedServer, keys: string[]): Promise<Map<string, string>> {
  const text = await exchange(server, `get ${keys.join(' ')}\r\n`, (t) => t.endsWith('END\r\n'));
  const values = new Map<string, string>();
  const lines = text.split('\r\n');
  for (let i = 0; i < lines.length; i++) {
    const [word, key] = lines[i]!.split(' ');
    if (word === 'VALUE' && key !== undefined) values.set(key, lines[++i]!);
  }
  return values;
}
