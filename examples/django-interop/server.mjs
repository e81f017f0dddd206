// `npm run start -w examples/django-interop`: the Node service on PORT (default 3000), reading the
// Django app's cache. Run `python3 django_app.py write` first so there is something to read.
import { createService } from './app.mjs';
import { createDjangoCache, DJANGO_CACHE } from './cache.mjs';

const cache = createDjangoCache();
const service = createService(cache);

service.listen(Number(process.env.PORT ?? 3000), () => {
  const base = `http://localhost:${service.address().port}`;
  console.log(`Node service on ${base}, reading Django's cache on ${cache.servers.join(', ')}`);
  console.log(
    `  KEY_PREFIX '${DJANGO_CACHE.prefix}', VERSION ${DJANGO_CACHE.version}: Django's 'stock:42' is '${DJANGO_CACHE.prefix}:${DJANGO_CACHE.version}:stock:42'`,
  );
  console.log(`  try: curl ${base}/products/42`);
  console.log(
    `       curl -X POST ${base}/products/42/sell && python3 django_app.py read stock:42 last-sold:42`,
  );
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    service.close();
    service.closeIdleConnections();
    void cache.close();
  });
}
