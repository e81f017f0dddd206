// `npm run demo`: a first look at @memwire/core. Uses MEMCACHE_SERVERS (and credentials) when set,
// otherwise starts a throwaway local memcached; sets and gets a few values and prints the server's stats.
import { createClient } from '../packages/core/dist/index.mjs';
import { startLocalMemcached } from './local-memcached.mjs';

const fromEnv = Boolean(process.env.MEMCACHIER_SERVERS || process.env.MEMCACHE_SERVERS);
const local = fromEnv ? undefined : await startLocalMemcached();
const client = local ? createClient({ servers: local.address, env: {} }) : createClient();
console.log(
  `memwire demo: ${local ? `started memcached at ${local.address}` : `using ${client.servers.join(', ')}`}`,
);

try {
  const started = performance.now();
  await client.set('demo:greeting', 'hello from memwire', { ttl: 60 });
  await client.set('demo:user', { id: 1, name: 'Ada', roles: ['admin'] }, { ttl: 60 });
  await client.set('demo:visits', 0);
  await client.set('demo:bytes', Buffer.from([0, 13, 10, 255]));
  const visits = await client.incr('demo:visits', 5);
  const values = await client.getMany([
    'demo:greeting',
    'demo:user',
    'demo:visits',
    'demo:bytes',
    'demo:missing',
  ]);
  for (const [key, value] of values) console.log(`  ${key.padEnd(14)} → ${JSON.stringify(value)}`);
  console.log(`  demo:missing   → (a miss is undefined, not an error)  visits after incr: ${visits}`);

  // A burst of concurrent gets in one tick leaves as one `get k1 k2 …` line per server.
  const burst = await Promise.all(Array.from({ length: 1000 }, () => client.get('demo:greeting')));
  console.log(
    `  1000 concurrent gets → ${burst.filter(Boolean).length} hits in ${(performance.now() - started).toFixed(1)} ms total`,
  );

  await client
    .get('bad key\r\nflush_all')
    .catch((error) => console.log(`  invalid key refused: ${error.code}`));

  for (const [server, stats] of await client.stats()) {
    const hits = Number(stats.get_hits);
    const ratio = hits / (hits + Number(stats.get_misses) || 1);
    console.log(
      `  ${server}: memcached ${stats.version}, ${stats.curr_items} items, ` +
        `hit ratio ${(ratio * 100).toFixed(1)}%, ${stats.curr_connections} connections`,
    );
  }
} finally {
  await client.close();
  await local?.stop();
}
