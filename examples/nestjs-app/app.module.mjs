// The application's one module: memwire configured from the environment, terminus for /health, and
// the controllers and services of products.mjs, me.mjs and health.mjs.
import { MemwireHealthIndicator, MemwireModule } from '@memwire/nestjs';
import { Logger, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { decorateClass } from './decorate.mjs';
import { HealthController } from './health.mjs';
import { MeController, VisitsService } from './me.mjs';
import { Catalogue, ProductsController } from './products.mjs';

export class AppModule {
  // Nest calls it on SIGINT / SIGTERM (main.mjs enables the hooks), before the HTTP server stops taking
  // requests; MemwireModule closes its clients afterwards, once the requests in progress are answered.
  beforeApplicationShutdown(signal) {
    new Logger('nestjs-app').log(`${signal}, shutting down`);
  }
}
decorateClass(
  AppModule,
  Module({
    imports: [
      // No servers here: MEMCACHIER_SERVERS, else MEMCACHE_SERVERS (with the matching _USERNAME and
      // _PASSWORD), else 127.0.0.1:11211. isGlobal: any module can inject the client. The prefix keeps
      // this app's keys (its counters and its cached responses) apart on a memcached shared with others.
      MemwireModule.forRoot({ isGlobal: true, keyPrefix: 'nestjs-app:' }),
      TerminusModule,
    ],
    controllers: [ProductsController, MeController, HealthController],
    providers: [Catalogue, VisitsService, MemwireHealthIndicator],
  }),
);
