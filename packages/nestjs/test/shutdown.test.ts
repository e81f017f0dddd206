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
const recipes = join(packageDir, 'dist/recipes.mjs');

let memcached: MemcachedServer;
beforeAll(async () => {
  ensureBuilt(packageDir);
  memcached = await startMemcached();
}, 60_000);
afterAll(async () => {
  await memcached?.stop();
});

/**
 * An application using every part of the package, in plain JavaScript (decorators applied by hand),
 * built from the published build: it serves requests, then closes, then must exit by itself.
 */
const APP = `
import 'reflect-metadata';
import { request } from 'node:http';
import { Controller, Get, Inject, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  CacheResponse, getMemwireToken, MemwireHealthIndicator, MemwireModule,
} from ${JSON.stringify(pathToFileURL(dist).href)};
import { createKeyv } from ${JSON.stringify(pathToFileURL(recipes).href)};

const servers = process.argv.at(-1);

class Pages {
  constructor(client, checks, indicator) {
    Object.assign(this, { client, checks, indicator });
  }
  async page() { return { at: Date.now() }; }
  async stored() { await this.client.set('shutdown-test', 'kept'); return { value: await this.client.get('shutdown-test') }; }
  async nestCached() { return { at: Date.now() }; }
  health() { return this.checks.check([() => this.indicator.pingCheck('memcached')]); }
}
const method = (name, ...decorators) =>
  Object.defineProperty(Pages.prototype, name,
    Reflect.decorate(decorators, Pages.prototype, name, Object.getOwnPropertyDescriptor(Pages.prototype, name)));
method('page', Get('page'), CacheResponse());
method('stored', Get('stored'));
method('nestCached', Get('nest-cached'), UseInterceptors(CacheInterceptor));
method('health', Get('health'));
Inject(getMemwireToken())(Pages, undefined, 0);
Inject(HealthCheckService)(Pages, undefined, 1);
Inject(MemwireHealthIndicator)(Pages, undefined, 2);
Controller()(Pages);

class AppModule {}
Module({
  imports: [
    MemwireModule.forRoot({ servers, env: false, isGlobal: true }),
    CacheModule.registerAsync({
      inject: [getMemwireToken()],
      useFactory: (client) => ({ stores: [createKeyv({ client, namespace: 'shutdown-test' })] }),
    }),
    TerminusModule,
  ],
  controllers: [Pages],
  providers: [MemwireHealthIndicator],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();
const get = (path) => new Promise((done, fail) => {
  request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (text) => { body += text; }).on('end', () => done(res.statusCode + ' ' + (res.headers['x-cache'] ?? '-') + ' ' + body));
  }).on('error', fail).end();
});
const replies = [];
for (const path of ['/page', '/page', '/stored', '/nest-cached', '/nest-cached', '/health']) replies.push(await get(path));
await app.close();
console.log(JSON.stringify({ replies, resources: process.getActiveResourcesInfo() }));
`;

/** Runs the app in a child Node; resolves once it exits by itself (rejects if it has not within 10 s). */
function runApp(): Promise<NodeScriptRun> {
  return runNodeScript(APP, { args: [memcached.address], cwd: packageDir });
}

describe('after app.close()', () => {
  test('nothing is left open: the process exits by itself, with no socket or timer active', async () => {
    const { code, stdout, stderr } = await runApp();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { replies, resources } = JSON.parse(stdout) as { replies: string[]; resources: string[] };
    expect(replies.map((reply) => reply.split(' ').slice(0, 2).join(' '))).toEqual([
      '200 MISS',
      expect.stringMatching(/^200 (HIT|MISS)$/), // HIT once the first response is stored
      '200 -',
      '200 MISS', // X-Cache from Nest's own CacheInterceptor
      '200 HIT',
      '200 -',
    ]);
    expect(replies[2]).toContain('"value":"kept"');
    expect(replies[5]).toContain('"status":"up"');
    // What is still active right after close(): nothing of ours (no TCP socket, no timer).
    expect(resources.filter((resource) => resource === 'TCPSocketWrap' || resource === 'Timeout')).toEqual(
      [],
    );
  }, 30_000);
});
