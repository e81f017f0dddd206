// `npm start`: serves the app on PORT (default 3000; 0 takes any free port, as the check does), with
// memcached from the environment. SIGINT or SIGTERM lets the requests in progress finish, closes the
// memcached clients and exits 0.
import 'reflect-metadata'; // first: Nest's decorators store what they declare with it
import { getMemwireToken } from '@memwire/nestjs';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.mjs';

const port = Number(process.env.PORT || 3000);
const app = await NestFactory.create(AppModule);
// Nest's default re-raises the signal once closed, which ends the process with that signal; exit 0
// says the stop was clean (what Heroku, Docker and systemd expect).
app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });
await app.listen(port);

const memcached = app.get(getMemwireToken()); // the client MemwireModule made, as @InjectMemwire() gives it
new Logger('nestjs-app').log(
  `listening on http://localhost:${app.getHttpServer().address().port}; memcached ${memcached.servers.join(', ')}`,
);
