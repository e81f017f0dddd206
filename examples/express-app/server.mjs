// `npm start`: serves app.mjs on PORT (default 3000; 0 takes any free port, as the check does), with
// memcached from MEMCACHE_SERVERS (etc.) and the REST API's key from CACHE_API_KEY. SIGINT or SIGTERM
// stops taking requests, lets the stores in progress finish, closes the clients and exits 0.
import { createServer } from 'node:http';
import { createApp } from './app.mjs';

const port = Number(process.env.PORT || 3000);
const { app, cache, close } = await createApp();
const server = createServer(app);

server.once('error', (error) => {
  console.error(`express-app: cannot listen on port ${port}: ${error.code ?? error.message}`);
  process.exit(1);
});
server.listen(port, () => {
  const api = process.env.CACHE_API_KEY ? '/cache with X-Api-Key' : '/cache off (no CACHE_API_KEY)';
  console.log(
    `express-app: listening on http://localhost:${server.address().port}; ` +
      `memcached ${cache.client.servers.join(', ')}; ${api}`,
  );
});

function shutdown(signal) {
  console.log(`express-app: ${signal}, shutting down`);
  // Requests in progress finish first (their responses are then stored), then the clients close.
  new Promise((resolve) => server.close(resolve)).then(close).then(
    () => process.exit(0),
    () => process.exit(1),
  );
  server.closeIdleConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
