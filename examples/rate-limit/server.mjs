// `npm start`: serves app.mjs on PORT (default 3000; 0 takes any free port, as the check does), with
// memcached from MEMCACHE_SERVERS (etc.). SIGINT or SIGTERM stops taking requests, closes the clients
// and exits 0.
import { createServer } from 'node:http';
import { createApp } from './app.mjs';

const port = Number(process.env.PORT || 3000);
const { app, close } = createApp();
const server = createServer(app);

server.once('error', (error) => {
  console.error(`rate-limit: cannot listen on port ${port}: ${error.code ?? error.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`rate-limit: listening on http://127.0.0.1:${server.address().port}`);
});

function shutdown(signal) {
  console.log(`rate-limit: ${signal}, shutting down`);
  new Promise((resolve) => server.close(resolve)).then(close).then(
    () => process.exit(0),
    () => process.exit(1),
  );
  server.closeIdleConnections();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
