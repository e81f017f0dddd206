import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@memwire/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { parseSlabs } from '../src/dashboard/sampler.js';
import { type DashboardHandler, dashboardHandler, type Sample } from '../src/index.js';

let memcached: MemcachedServer;
let handler: DashboardHandler;
let server: Server;
let base: string;

beforeAll(async () => {
  memcached = await startMemcached();
  handler = dashboardHandler({ servers: memcached.address, env: false, interval: 100 });
  server = createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await handler?.close();
  await memcached?.stop();
});

/** The next server-sent event of `/events`, parsed. */
async function nextEvent(): Promise<Sample> {
  const response = await fetch(`${base}/events`);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const reader = response.body!.getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      text += Buffer.from(value).toString('utf8');
      const data = /^data: (.*)$/m.exec(text);
      if (data !== null && text.includes('\n\n', data.index)) return JSON.parse(data[1]!) as Sample;
    }
  } finally {
    await reader.cancel();
  }
}

describe('the dashboard handler', () => {
  test('serves one self-contained page: no script, style or font from anywhere else', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('<title>memcached · memwire dashboard</title>');
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
  });

  test('samples every server: figures, rates once two samples exist, slab classes', async () => {
    const client = createClient({ servers: memcached.address, env: false });
    await client.set('dash:a', 'x'.repeat(500));
    await client.get('dash:a');
    await client.get('dash:missing');
    await client.close();
    await expect.poll(() => handler.history().length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    const last = (await (await fetch(`${base}/snapshot`)).json()) as { samples: Sample[] };
    const sample = last.samples.at(-1)!.servers[0]!;
    expect(sample).toMatchObject({ server: memcached.address, ok: true });
    if (!sample.ok) throw new Error('unreachable');
    expect(sample.items).toBeGreaterThanOrEqual(1);
    expect(sample.limitBytes).toBeGreaterThan(0);
    expect(sample.getsPerSecond).not.toBeNull();
    expect(sample.slabs.some((slab) => slab.usedChunks > 0 && slab.chunkSize >= 500)).toBe(true);
  });

  test('pushes each new sample as a server-sent event', async () => {
    const sample = await nextEvent();
    expect(sample.servers.map((entry) => entry.server)).toEqual([memcached.address]);
  });

  test('a killed server shows as down in the next sample, with its error code, and up once back', async () => {
    await memcached.kill();
    try {
      await expect
        .poll(async () => (await nextEvent()).servers[0], { timeout: 5_000 })
        .toMatchObject({ ok: false, error: { code: 'ERR_MEMWIRE_CONNECTION' } });
    } finally {
      await memcached.restart();
    }
    await expect.poll(async () => (await nextEvent()).servers[0]!.ok, { timeout: 10_000 }).toBe(true);
  });

  test('answers 404 elsewhere and 405 to writes', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
  });
});

describe('slab figures from a server are input, not truth', () => {
  test('only numeric class counters count; junk and negative values are dropped, a class with none too', () => {
    expect(
      parseSlabs({
        '1:chunk_size': '96',
        '1:used_chunks': '10',
        '1:total_pages': '1',
        '2:chunk_size': 'lots',
        '2:used_chunks': '-5',
        active_slabs: '1',
        '<script>:chunk_size': '1',
      }),
    ).toEqual([{ id: 1, chunkSize: 96, usedChunks: 10, totalPages: 1 }]);
  });
});

describe('mounted in an application', () => {
  test('under Express at a path prefix, and in Fastify through a hijacked route', async () => {
    const { default: express } = await import('express');
    const { default: Fastify } = await import('fastify');
    const mounted = dashboardHandler({ servers: memcached.address, env: false, interval: 100 });
    const app = express().use('/admin/memcached', mounted);
    const expressServer = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    const fastify = Fastify();
    const handle = (
      request: { raw: import('node:http').IncomingMessage; url: string },
      reply: { hijack(): void; raw: import('node:http').ServerResponse },
    ) => {
      reply.hijack();
      request.raw.url = request.url.slice('/admin/memcached'.length) || '/';
      mounted(request.raw, reply.raw);
    };
    fastify.get('/admin/memcached', handle);
    fastify.get('/admin/memcached/*', handle);
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const expressBase = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}/admin/memcached`;
      const fastifyBase = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/admin/memcached`;
      for (const mount of [expressBase, fastifyBase]) {
        expect((await fetch(`${mount}/`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
        await expect
          .poll(
            async () =>
              ((await (await fetch(`${mount}/snapshot`)).json()) as { samples: unknown[] }).samples.length,
          )
          .toBeGreaterThan(0);
      }
    } finally {
      expressServer.closeAllConnections();
      await new Promise((resolve) => expressServer.close(resolve));
      await fastify.close();
      await mounted.close();
    }
  });
});
