// One process of the cross-process `wrap`: `node worker.mjs REPORT [NAMESPACE]`. Start several at once
// (index.mjs and check.mjs do): with `lock: true`, the first to miss builds the report and the others
// wait for its result in memcached instead of building it too. Prints one JSON line:
// { pid, ran, report } where `ran` says whether this process built the report.
import { createMemwireCache } from '@memwire/cache-manager';
import { buildReport } from './report.mjs';

const [name = 'monthly', namespace = 'reports'] = process.argv.slice(2);
const cache = createMemwireCache({ namespace, ttl: 60_000, lock: true });
cache.stores
  .at(-1)
  .on('error', (error) => console.error(`cache error: ${error.code ?? ''} ${error.message}`));

let ran = false;
try {
  const report = await cache.wrap(name, () => {
    ran = true;
    return buildReport(name);
  });
  console.log(JSON.stringify({ pid: process.pid, ran, report }));
} finally {
  await cache.disconnect();
}
