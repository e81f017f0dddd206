import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { findMachineNode } from '../../../scripts/machine-node.mjs';
import { runNodeScript } from '../../../test/support/index.js';
import { usePackedApp } from '../../../test/support/packed-app.js';

// A Nest app on Fastify, installed in a clean folder from packed tarballs of @memwire/nestjs and what
// it depends on, with only what such an app uses: no Express, no cache-manager, no keyv. It must load
// and cache, on the machine's own Node (20 on CI). CI builds before vitest, so dist/ is there.

const packed = usePackedApp({
  name: 'nest-on-fastify',
  packages: ['core', 'http-cache', 'nestjs'],
  others: ['@nestjs/common', '@nestjs/core', '@nestjs/platform-fastify', 'reflect-metadata', 'rxjs'],
  manifest: { type: 'module' },
});

const APP = `
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CacheResponse, MemwireModule } from '@memwire/nestjs';

const require = createRequire(import.meta.url);
const absent = ['express', 'cache-manager', 'keyv', '@memwire/keyv', '@memwire/cache-manager'].filter((name) => {
  try { require.resolve(name); return false; } catch { return true; }
});
let built = 0;
class Pages { page() { built += 1; return { built }; } }
Object.defineProperty(Pages.prototype, 'page', Reflect.decorate([Get('page'), CacheResponse({ ttl: 60 })],
  Pages.prototype, 'page', Object.getOwnPropertyDescriptor(Pages.prototype, 'page')));
Controller()(Pages);
class AppModule {}
Module({
  imports: [MemwireModule.forRoot({ servers: process.argv.at(-1), env: {}, responseCache: { keyPrefix: 'packed:' + Date.now() + ':' } })],
  controllers: [Pages],
})(AppModule);

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
await app.init();
const fastify = app.getHttpAdapter().getInstance();
await fastify.ready();
const first = await fastify.inject({ url: '/page' });
await new Promise((done) => setTimeout(done, 200)); // the store is written after the response
const second = await fastify.inject({ url: '/page' });
await app.close();
console.log(JSON.stringify({
  node: process.version,
  absent,
  answers: [first, second].map((r) => [r.statusCode, r.headers['x-cache'], r.body]),
}));
`;

describe('a Nest app on Fastify, from packed tarballs, with only what it uses', () => {
  test('loads without Express, cache-manager or keyv, and caches on the machine’s Node', async () => {
    const node = findMachineNode() ?? process.execPath;
    const run = await runNodeScript(APP, {
      args: [packed.memcached().address],
      cwd: packed.folder(),
      node,
      limitMs: 30_000,
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      node: string;
      absent: string[];
      answers: Array<[number, string, string]>;
    };
    expect(result.absent).toEqual([
      'express',
      'cache-manager',
      'keyv',
      '@memwire/keyv',
      '@memwire/cache-manager',
    ]);
    expect(result.answers).toEqual([
      [200, 'MISS', '{"built":1}'],
      [200, 'HIT', '{"built":1}'],
    ]);
    // On the machine's Node (Node 20 on CI), not the toolchain's Node 24.
    expect(result.node).toBe(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim());
  });
});
