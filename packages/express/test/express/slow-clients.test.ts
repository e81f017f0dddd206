import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { capturedBytesHeld, type ResponseCacheOptions } from '../../src/index.js';
import { frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

const CHUNK = 64 * 1024;
/** Larger than what the kernel's socket buffers take from a reader that never reads (~4 MB here). */
const page = randomBytes(7.5 * 1024 * 1024);
const small = randomBytes(2 * 1024 * 1024);

/** Sends a GET on a raw socket and never reads the answer: a client on a stalled link. */
function stalledClient(url: string, path: string): Socket {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`);
  socket.pause();
  return socket;
}

describe.each(frameworks)('$name: slow clients and the memory captures hold', (framework) => {
  async function app(options: ResponseCacheOptions = {}) {
    const runs = new Map<string, number>();
    const ended = new Set<string>();
    const h = await harness(
      framework,
      memcached.address,
      (app, cache) => {
        app.get(['/page', '/other'], cache, (req, res) => {
          runs.set(req.path, (runs.get(req.path) ?? 0) + 1);
          const body = req.path === '/page' ? page : small;
          const parts = Array.from({ length: Math.ceil(body.length / CHUNK) }, (_, i) =>
            body.subarray(i * CHUNK, (i + 1) * CHUNK),
          );
          res.set('Cache-Control', 'max-age=60').type('application/octet-stream');
          res.once('finish', () => ended.add(req.path));
          Readable.from(parts)
            .on('end', () => ended.add(`${req.path}:read`))
            .pipe(res);
        });
      },
      options,
    );
    onTestFinished(() => h.close());
    return { ...h, runs, ended };
  }

  test('requests waiting for a page get it when the origin is done, not when a slow client has read it', async () => {
    const h = await app();
    const slow = stalledClient(h.running.url, '/page');
    onTestFinished(() => {
      slow.destroy();
    });
    await expect.poll(() => h.runs.get('/page')).toBe(1);
    const followers = await Promise.all(Array.from({ length: 3 }, () => h.request('/page')));
    for (const reply of followers) {
      expect(reply.body.equals(page)).toBe(true);
      expect(reply.headers['x-cache']).toBe('HIT');
    }
    expect(h.runs.get('/page')).toBe(1);
    // The slow client is still stalled: it has not read the page, and its response has not gone out.
    expect(slow.bytesRead).toBeLessThan(page.length);
    expect(h.ended.has('/page')).toBe(false);
  });

  test('past maxCaptureBytes, a response goes out whole and is not stored, until memory is given back', async () => {
    const h = await app({ maxCaptureBytes: 8 * 1024 * 1024 });
    const slow = stalledClient(h.running.url, '/page');
    onTestFinished(() => {
      slow.destroy();
    });
    await expect.poll(() => h.ended.has('/page:read')).toBe(true);
    expect(capturedBytesHeld()).toBeGreaterThanOrEqual(page.length);
    expect(capturedBytesHeld()).toBeLessThanOrEqual(8 * 1024 * 1024);
    // 7.5 MB held for the stalled client: the 2 MB of /other do not fit beside them.
    const first = await h.request('/other');
    expect(first.body.equals(small)).toBe(true);
    const second = await h.after('/other');
    expect([second.body.equals(small), second.headers['x-cache']]).toEqual([true, 'MISS']);
    expect(capturedBytesHeld()).toBeLessThanOrEqual(8 * 1024 * 1024);
    slow.destroy();
    await expect.poll(() => capturedBytesHeld()).toBe(0);
    await h.request('/other');
    const stored = await h.after('/other');
    expect([stored.body.equals(small), stored.headers['x-cache']]).toEqual([true, 'HIT']);
  });
});
