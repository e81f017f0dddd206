// GET /health: @nestjs/terminus with MemwireHealthIndicator, which pings every memcached server of the
// client on a fresh connection (connect, log in, `version`): 200 when all answer, 503 naming each server
// that does not, with the memwire error code.
import { MemwireHealthIndicator } from '@memwire/nestjs';
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { decorateClass, decorateMethod, decorateParameter } from './decorate.mjs';

export class HealthController {
  constructor(health, memcached) {
    this.health = health;
    this.memcached = memcached;
  }

  check() {
    return this.health.check([() => this.memcached.pingCheck('memcached', { timeout: 500 })]);
  }
}
decorateClass(HealthController, Controller('health'));
decorateParameter(HealthController, 'constructor', 0, Inject(HealthCheckService));
decorateParameter(HealthController, 'constructor', 1, Inject(MemwireHealthIndicator));
decorateMethod(HealthController, 'check', Get(), HealthCheck());
