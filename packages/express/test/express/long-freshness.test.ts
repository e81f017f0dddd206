import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { frameworks, harness } from '../helpers.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached.stop();
});

describe.each(frameworks)('$name: freshness beyond memcached’s 32-bit exptime', (framework) => {
  test.each([
    ['s-maxage=4000000000', 'public, s-maxage=4000000000'],
    [
      'max-age=2147483647, stale-while-revalidate=2147483647',
      'max-age=2147483647, stale-while-revalidate=2147483647',
    ],
  ])('%s is stored and served (its item TTL clamped)', async (_name, cacheControl) => {
    let runs = 0;
    const h = await harness(framework, memcached.address, (app, cache) => {
      app.get('/forever', cache, (_req, res) => {
        runs++;
        res.set('Cache-Control', cacheControl).send(`run ${runs}`);
      });
    });
    onTestFinished(() => h.close());
    await h.request('/forever');
    const again = await h.after('/forever');
    expect([again.text, again.headers['x-cache']]).toEqual(['run 1', 'HIT']);
    expect(runs).toBe(1);
  });
});
