import { afterAll, beforeAll } from 'vitest';
import { frameworks, serve, uniquePrefix } from '../../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../../test/support/index.js';
import { responseCacheSuite, type SuiteHarness } from '../../../../test/support/response-cache-suite.js';
import { responseCache } from '../../src/index.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

for (const framework of frameworks) {
  const harness: SuiteHarness = {
    name: framework.name,
    async start(servers, options, routes) {
      const cache = responseCache({ memcached: { servers, env: {} }, keyPrefix: uniquePrefix(), ...options });
      const app = framework.create();
      for (const route of routes) {
        const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
        app[method](route.path, cache, (req, res) => {
          const answer = route.answer({ headers: req.headers, url: req.originalUrl });
          if (route.tags !== undefined) res.locals['cacheTags'] = [...route.tags];
          res.status(answer.status ?? 200).set(answer.headers ?? {});
          res.send(answer.body);
        });
      }
      const running = await serve(app);
      return {
        running,
        invalidate: (url) => cache.invalidate(url),
        invalidateTags: (tags) => cache.invalidateTags(tags),
        settled: () => cache.settled(),
        close: async () => {
          await running.close();
          await cache.close();
        },
      };
    },
  };
  responseCacheSuite(harness, () => memcached.address);
}
