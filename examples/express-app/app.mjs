// The Express app: every route shows one thing @memwire/express does. server.mjs runs it; the repository's
// `npm run demo` runs it too (scripts/demo.mjs), counting the X-Cache of each response.
//
//   GET  /               this list
//   GET  /report         a slow report (half a second), cached: X-Cache MISS, then HIT for 60 s
//   GET  /me             a page for the user in the `user` cookie: Cache-Control private, never shared
//   GET  /products       the catalogue, and GET /products/:id one product: tagged `products`
//   POST /sale           lowers every price, then invalidates the tag: every product page is rebuilt
//   /cache/:key          memcached as a REST API (GET, PUT, DELETE), behind the X-Api-Key header
import { setTimeout as sleep } from 'node:timers/promises';
import { responseCache } from '@memwire/express';
import { cacheRouter } from '@memwire/rest';
import express from 'express';

/** Seconds a response that states no freshness of its own is kept. */
const TTL_SECONDS = 60;

const INDEX = `memwire express-app: responses cached in memcached by @memwire/express

  GET  /report          slow (500 ms) the first time: X-Cache: MISS, then HIT
  GET  /me              per user (cookie user=…): Cache-Control: private, never stored
  GET  /products        the catalogue; GET /products/1 one product (tagged "products")
  POST /sale            {"percent": 10} lowers every price and invalidates the "products" tag
  GET  /cache/:key      memcached over HTTP: PUT {"value": …, "ttl": 60}, GET, DELETE (X-Api-Key)
`;

/**
 * Builds the app. Memcached comes from the environment (MEMCACHE_SERVERS etc., else 127.0.0.1:11211)
 * unless `memcached` gives client options; the REST API's key from CACHE_API_KEY unless `cacheApiKey`.
 * Resolves to `{ app, cache, close }`: `close()` waits for the stores in progress and closes the clients.
 */
export async function createApp({ memcached = {}, cacheApiKey = process.env.CACHE_API_KEY } = {}) {
  // The prefix keeps this app's responses apart from other applications sharing the memcached.
  const cache = responseCache({ ttl: TTL_SECONDS, keyPrefix: 'express-app:', memcached });
  const catalogue = new Catalogue();
  const app = express();

  app.get('/', (_req, res) => {
    res.type('text/plain').send(INDEX);
  });

  app.get('/report', cache, async (_req, res) => {
    await sleep(500); // stands for a slow query
    // No Cache-Control: the cache keeps it for `ttl` seconds, as the request carried no cookie.
    res.json({
      title: 'Signups this week',
      values: [12, 19, 7, 24, 31, 18, 9],
      builtAt: new Date().toISOString(),
    });
  });

  app.get('/me', cache, (req, res) => {
    const user = cookie(req, 'user') ?? 'guest';
    // `private`: for this user only, so a shared cache never stores it and Ada's page can never reach
    // Bob. (A request with a cookie whose response states no freshness is not shared either, but the
    // guest's request has no cookie: say it.)
    res.set('Cache-Control', 'private');
    res.json({ user, greeting: `Hello, ${user}`, renderedAt: new Date().toISOString() });
  });

  app.get('/products', cache, async (_req, res) => {
    res.locals.cacheTags = ['products'];
    res.json(await catalogue.list());
  });

  app.get('/products/:id', cache, async (req, res) => {
    const product = await catalogue.find(req.params.id);
    if (product === undefined) {
      res.status(404).json({ error: 'no such product' });
      return;
    }
    // Every product page carries the tag, so one invalidateTags('products') drops them all,
    // in every process sharing the memcached, without knowing their URLs.
    res.locals.cacheTags = ['products'];
    res.json({ ...product, renderedAt: new Date().toISOString() });
  });

  app.post('/sale', express.json(), async (req, res) => {
    const percent = Number(req.body?.percent ?? 10);
    if (!(percent > 0 && percent < 100)) {
      res.status(400).json({ error: 'percent must be between 0 and 100' });
      return;
    }
    const products = catalogue.discount(percent);
    const sale = { sale: `${percent}% off`, products };
    try {
      await cache.invalidateTags('products');
    } catch (error) {
      // The prices did change (an error status would invite a retry: a second discount), but memcached
      // could not be told, so cached pages may show the old ones until they expire. Say so.
      sale.warning = `memcached unreachable (${error.code}): product pages may be stale for ${TTL_SECONDS} s`;
    }
    res.json(sale);
  });

  // memcached as a REST service, for other services (or curl). It is the whole cache behind one
  // key, so without CACHE_API_KEY it stays off rather than open.
  const router =
    cacheApiKey === undefined || cacheApiKey === ''
      ? undefined
      : cacheRouter({ apiKey: cacheApiKey, memcached });
  app.use('/cache', router ?? cacheApiOff);

  // The catalogue lives in this process and starts over with each run, so product pages cached by an
  // earlier run show prices that no longer hold: drop them before the first request.
  try {
    await cache.invalidateTags('products');
  } catch (error) {
    console.warn(`express-app: memcached unreachable (${error.code}): answering uncached until it is back`);
  }

  return {
    app,
    cache,
    async close() {
      // Each closes the client it made: responseCache's, and the REST API's (router.close()).
      await Promise.all([cache.close(), router?.close()]);
    },
  };
}

function cacheApiOff(_req, res) {
  res.status(503).json({ error: 'the cache API is off: start the app with CACHE_API_KEY set' });
}

/** A value of the request's Cookie header, or undefined. */
function cookie(req, name) {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name && value.length > 0) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Stands for a database: a little slow, and the one place prices change. */
class Catalogue {
  #products = new Map([
    ['1', { id: 1, name: 'Espresso cup', price: 12 }],
    ['2', { id: 2, name: 'Milk jug', price: 18.5 }],
    ['3', { id: 3, name: 'Tamper', price: 24 }],
  ]);

  async find(id) {
    await sleep(200);
    return this.#products.get(id);
  }

  async list() {
    await sleep(200);
    return [...this.#products.values()];
  }

  discount(percent) {
    for (const product of this.#products.values()) {
      product.price = Math.round(product.price * (100 - percent)) / 100;
    }
    return [...this.#products.values()];
  }
}
