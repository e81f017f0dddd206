import 'reflect-metadata';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type FakeServer,
  freePort,
  type MemcachedServer,
  startFakeServer,
  startMemcached,
} from '../../../test/support/index.js';
import {
  MemwireHealthIndicator,
  MemwireModule,
  type MemwireModuleOptions,
  type MemwirePingOptions,
} from '../src/index.js';
import { startApp } from './helpers.js';

let memcached: MemcachedServer;
let guarded: MemcachedServer;
let silent: FakeServer;
beforeAll(async () => {
  [memcached, guarded, silent] = await Promise.all([
    startMemcached(),
    startMemcached({ auth: { username: 'app', password: 's3cret' } }),
    startFakeServer(() => {}), // accepts connections, never answers
  ]);
});
afterAll(async () => {
  await Promise.all([memcached?.stop(), guarded?.stop(), silent?.close()]);
});

let pingOptions: MemwirePingOptions = {};

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(MemwireHealthIndicator) private readonly memcached: MemwireHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.memcached.pingCheck('memcached', pingOptions)]);
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController], providers: [MemwireHealthIndicator] })
class HealthModule {}

async function healthOf(options: MemwireModuleOptions, ping: MemwirePingOptions = {}) {
  pingOptions = ping;
  const { request } = await startApp({
    imports: [MemwireModule.forRoot({ env: false, ...options }), HealthModule],
  });
  const reply = await request('/health');
  return { status: reply.status, body: JSON.parse(reply.text) };
}

describe('MemwireHealthIndicator (terminus HealthIndicatorService)', () => {
  test('every server answering: up, with each server’s status, version and latency', async () => {
    const { status, body } = await healthOf({ servers: memcached.address });
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    const server = body.details.memcached.servers[memcached.address];
    expect(server).toMatchObject({ status: 'up', version: expect.stringMatching(/^\d+\.\d+/) });
    expect(server.responseTime).toBeGreaterThanOrEqual(0);
  });

  test('a server down: the check fails (503) and names the server and the error', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const { status, body } = await healthOf({ servers: [memcached.address, dead] });
    expect(status).toBe(503);
    expect(body.error.memcached.status).toBe('down');
    expect(body.error.memcached.servers[memcached.address].status).toBe('up');
    expect(body.error.memcached.servers[dead]).toMatchObject({
      status: 'down',
      error: { code: 'ERR_MEMWIRE_CONNECTION' },
    });
  });

  test('a server that never answers is down within the timeout', async () => {
    const stalled = `127.0.0.1:${silent.port}`;
    const { status, body } = await healthOf({ servers: stalled }, { timeout: 300 });
    expect(status).toBe(503);
    expect(body.error.memcached.servers[stalled]).toMatchObject({
      status: 'down',
      error: { code: 'ERR_MEMWIRE_TIMEOUT' },
    });
  });

  test('partial: degraded keeps the check passing while some servers answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const { status, body } = await healthOf({ servers: [memcached.address, dead] }, { partial: 'degraded' });
    expect(status).toBe(200);
    expect(body.details.memcached.status).toBe('degraded');
  });

  test('pings log in with the client’s credentials; a wrong password is reported, never echoed', async () => {
    const ok = await healthOf({ servers: guarded.address, username: 'app', password: 's3cret' });
    expect(ok.body.details.memcached.servers[guarded.address].status).toBe('up');
    const refused = await healthOf({ servers: guarded.address, username: 'app', password: 'wrong-password' });
    expect(refused.status).toBe(503);
    const server = refused.body.error.memcached.servers[guarded.address];
    expect(server).toMatchObject({ status: 'down', error: { code: 'ERR_MEMWIRE_AUTH' } });
    expect(JSON.stringify(refused.body)).not.toContain('wrong-password');
  });

  test('client: pings the servers of a named client', async () => {
    pingOptions = { client: 'sessions' };
    const { request } = await startApp({
      imports: [
        MemwireModule.forRoot({ servers: `127.0.0.1:${await freePort()}`, env: false }),
        MemwireModule.forRoot({ name: 'sessions', servers: memcached.address, env: false }),
        HealthModule,
      ],
    });
    const reply = await request('/health');
    expect(reply.status).toBe(200);
    expect(Object.keys(JSON.parse(reply.text).details.memcached.servers)).toEqual([memcached.address]);
  });
});
