// The Node service: a small JSON API answering from what the Django app cached.
//
//   GET  /products/:id        the product as Django cached it (JSON text), its stock (int), its price
//                             (float), the shop-wide on-sale flag (bool) and banner (str)
//   POST /products/:id/sell   decrements the stock Django cached (memcached decr keeps Django's int)
//                             and records the time of the sale for Django to read
import { createServer } from 'node:http';

/** An http.Server over `cache` (a client from createDjangoCache()); the caller listens and closes. */
export function createService(cache) {
  return createServer(async (request, response) => {
    let reply;
    try {
      reply = await route(cache, request.method, new URL(request.url, 'http://localhost').pathname);
    } catch (error) {
      // CodecError (ERR_MEMWIRE_CODEC): a value Node cannot read, such as a pickled dict. Anything else
      // is the cache being unreachable; either way the code says which.
      const status = error.code === 'ERR_MEMWIRE_CODEC' ? 500 : 503;
      reply = { status, body: { error: { code: error.code ?? 'ERR_UNEXPECTED', message: error.message } } };
    }
    response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(reply.body));
  });
}

async function route(cache, method, path) {
  const product = path.match(/^\/products\/(\d+)$/);
  if (method === 'GET' && product) return showProduct(cache, product[1]);
  const sale = path.match(/^\/products\/(\d+)\/sell$/);
  if (method === 'POST' && sale) return sell(cache, sale[1]);
  return { status: 404, body: { error: { code: 'NOT_FOUND', message: `no route for ${method} ${path}` } } };
}

async function showProduct(cache, id) {
  const keys = [`product:${id}`, `stock:${id}`, `price:${id}`, 'on-sale', 'banner'];
  const found = await cache.getMany(keys); // one `get` line for all five
  const details = found.get(`product:${id}`);
  if (details === undefined) return { status: 404, body: { error: { code: 'NOT_CACHED', message: id } } };
  return {
    status: 200,
    body: {
      id,
      ...JSON.parse(details), // Django cached json.dumps(...): a str, which any language reads
      stock: found.get(`stock:${id}`) ?? null,
      price: found.get(`price:${id}`) ?? null,
      onSale: found.get('on-sale') ?? false,
      banner: found.get('banner') ?? null,
    },
  };
}

async function sell(cache, id) {
  // decr works on the decimal text Django's int is stored as, and memcached keeps its flags, so Django
  // still reads an int. It never goes below 0 (memcached's rule).
  const stock = await cache.decr(`stock:${id}`, 1);
  if (stock === undefined) return { status: 404, body: { error: { code: 'NOT_CACHED', message: id } } };
  await cache.set(`last-sold:${id}`, new Date().toISOString());
  return { status: 200, body: { id, stock } };
}
