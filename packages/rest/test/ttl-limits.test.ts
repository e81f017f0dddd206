import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { frameworks, serve } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { cacheRouter } from '../src/index.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

const API_KEY = 'ttl-limits-key';
const json = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

describe('cacheRouter and TTLs that end after 2038 (memcached keeps a 32-bit exptime)', () => {
  const framework = frameworks[0]!;

  test.each([
    ['an absolute time in 2286', 9_999_999_999],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ])('a PUT with a ttl of %s is still there on the next GET', async (_name, ttl) => {
    const router = cacheRouter({
      apiKey: API_KEY,
      memcached: { servers: memcached.address, env: {}, commandTimeout: 1000 },
    });
    const app = framework.create();
    app.use('/cache', router);
    const running = await serve(app);
    onTestFinished(async () => {
      await running.close();
      await router.close();
    });
    const key = `huge-ttl-${ttl}`;
    const put = await running.request(`/cache/${key}`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ value: 'kept', ttl }),
    });
    expect(put.status).toBe(204);
    const got = await running.request(`/cache/${key}`, { headers: json });
    expect(got.status).toBe(200);
    expect(JSON.parse(got.text)).toBe('kept');
  });
});
