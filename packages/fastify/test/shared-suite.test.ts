import type { AddressInfo } from 'node:net';
import fastify5, { type FastifyReply, type FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll } from 'vitest';
import { requestAt, uniquePrefix } from '../../../test/support/http.js';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { responseCacheSuite, type SuiteHarness } from '../../../test/support/response-cache-suite.js';
import { responseCache } from '../src/index.js';

let memcached: MemcachedServer;
beforeAll(async () => {
  memcached = await startMemcached();
});
afterAll(async () => {
  await memcached?.stop();
});

/** The Fastify majors the plugin promises (`fastify: 4.x || 5.x`). */
const majors = [
  { name: 'Fastify 5', create: () => fastify5() },
  { name: 'Fastify 4', create: () => fastify4() as unknown as ReturnType<typeof fastify5> },
];

for (const major of majors) {
  const harness: SuiteHarness = {
    name: major.name,
    async start(servers, options, routes) {
      const app = major.create();
      await app.register(responseCache, {
        memcached: { servers, env: {} },
        keyPrefix: uniquePrefix(),
        ...options,
      });
      for (const route of routes) {
        app.route({
          method: route.method,
          url: route.path,
          config: route.tags === undefined ? {} : { responseCache: { tags: route.tags } },
          handler: (request: FastifyRequest, reply: FastifyReply) => {
            const answer = route.answer({ headers: request.headers, url: request.url });
            reply.code(answer.status ?? 200).headers(answer.headers ?? {});
            return reply.send(answer.body);
          },
        });
      }
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return {
        running: {
          url: `http://127.0.0.1:${port}`,
          request: (path, init) => requestAt(port, path, init),
          close: () => app.close(),
        },
        invalidate: (url) => app.responseCache.invalidate(url),
        invalidateTags: (tags) => app.responseCache.invalidateTags(tags),
        settled: () => app.responseCache.settled(),
        close: () => app.close(),
      };
    },
  };
  responseCacheSuite(harness, () => memcached.address);
}
