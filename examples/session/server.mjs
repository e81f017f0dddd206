// `npm start`: serves app.mjs on PORT (default 3000; 0 takes any free port, as the check does), with
// memcached from MEMCACHE_SERVERS (etc.). SIGINT or SIGTERM stops taking requests, lets those in
// progress finish (their sessions are then saved), closes the store's client and exits 0.
import { createServer } from 'node:http';
import { createApp } from './app.mjs';

const port = Number(process.env.PORT || 3000);
const { app, store, close } = createApp();
const server = createServer(app);

server.once('error', (error) => {
  console.error(`session example: cannot listen on port ${port}: ${error.code ?? error.message}`);
  process.exit(1);
});
server.listen(port, () => {
  console.log(
    `session example: listening on http://localhost:${server.address().port}; memcached ${store.client.servers.join(', ')}`,
  );
});

function shutdown(signal) {
  console.log(`session example: ${signal}, shutting down`);
  new Promise((resolve) => server.close(resolve)).then(close).then(
    () => process.exit(0),
    () => process.exit(1),
  );
  server.closeIdleConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
