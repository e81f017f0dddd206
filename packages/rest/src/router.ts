import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Client, ConfigError, createClient, keyProblem, MAX_KEY_BYTES, type Value } from '@memwire/core';
import { createKeyCheck } from './api-key.js';
import { readJsonBody } from './body.js';
import { HttpError, RouterErrorCodes, toHttpError } from './http-errors.js';
import { CACHE_ROUTER_DEFAULTS, type CacheRouterOptions } from './options.js';
import { parseTarget, routedTarget } from './target.js';
import { ttlFromMemcachedExptime } from './ttl.js';

/** Express's `next`, called with an error the router does not answer itself. */
export type NextFunction = (error?: unknown) => void;

/** The router, with a way to close the client it created. */
export interface CacheRouter {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /**
   * Closes the client, if the router created it (a given `client` is yours to close): sends `quit` on
   * every socket after the commands in flight, and resolves once they are closed. Call it on shutdown,
   * after the HTTP server has stopped taking requests.
   */
  close(): Promise<void>;
  readonly client: Client<Value, unknown>;
}

type Handler = (context: Context) => Promise<void>;

interface Context {
  req: IncomingMessage & { body?: unknown };
  res: ServerResponse;
  /** The key in the path, decoded; undefined for `/`. */
  key: string | undefined;
  query: URLSearchParams;
}

/**
 * memcached as a small REST service (as DreamFactory offers it), mountable anywhere:
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /:key` | 200 and the value as JSON; 404 on a miss |
 * | `GET /?keys=a,b` | 200 `{ "resource": [{ "key", "value" }] }`, the hits in the order asked |
 * | `POST /` `{ "resource": [{ "key", "value", "ttl" }] }` | 201 `{ "resource": [{ "key" }] }` |
 * | `PUT /:key` `{ "value", "ttl" }` | 204 |
 * | `DELETE /:key` | 204; 404 when there was no such key |
 * | `DELETE /` | 204 after flushing every server, only with `allowFlush` (else 403) |
 *
 * Every key is stored under `keyPrefix` (`'rest:'`), so the API key grants that prefix only, never the
 * keys of `responseCache`, Keyv or cache-manager on the same servers.
 *
 * TTLs are seconds as memcached reads them (0 never, over 30 days a Unix time). Errors are
 * `{ "error": { "code", "message" } }`: 400 for an invalid key or body, 401 without the API key,
 * 415 for a write without `Content-Type: application/json` (CSRF: browsers send the other types
 * cross-site unasked), 403 for `Sec-Fetch-Site: cross-site` without an API key,
 * 413 for a value over the item size, 503 when memcached cannot be reached — never a stack trace,
 * server address or credential. It works with Express 4 and 5, and with plain `node:http`.
 *
 * @example
 * app.use('/cache', cacheRouter({ apiKey: process.env.CACHE_API_KEY! }));
 */
export function cacheRouter(options: CacheRouterOptions): CacheRouter {
  if (options === undefined || options.apiKey === undefined) {
    throw new ConfigError('cacheRouter needs apiKey (or apiKey: false to serve without one)');
  }
  const accepted = options.apiKey === false ? undefined : [options.apiKey].flat();
  if (
    accepted !== undefined &&
    (accepted.length === 0 || accepted.some((key) => typeof key !== 'string' || key === ''))
  ) {
    throw new ConfigError('apiKey must be a non-empty string or a list of them');
  }
  const keyOk = accepted === undefined ? undefined : createKeyCheck(accepted);
  const apiKeyHeader = (options.apiKeyHeader ?? CACHE_ROUTER_DEFAULTS.apiKeyHeader).toLowerCase();
  const maxBodySize = options.maxBodySize ?? CACHE_ROUTER_DEFAULTS.maxBodySize;
  const allowFlush = options.allowFlush ?? CACHE_ROUTER_DEFAULTS.allowFlush;
  // Without an API key, the auth in front is likely a cookie, which a browser sends cross-site too.
  const refuseCrossSite =
    keyOk === undefined && !(options.allowCrossSite ?? CACHE_ROUTER_DEFAULTS.allowCrossSite);
  const keyPrefix = options.keyPrefix ?? CACHE_ROUTER_DEFAULTS.keyPrefix;
  if (typeof keyPrefix !== 'string' || !/^[\x21-\x7e]*$/.test(keyPrefix)) {
    throw new ConfigError(
      'keyPrefix must be printable ASCII without spaces (memcached keys cannot hold others)',
    );
  }
  /** The memcached key of a caller's key: the router's prefix is what keeps it off other adapters' keys. */
  const wire = (key: string): string => keyPrefix + checkedKey(key, keyPrefix);
  const owned =
    options.client === undefined
      ? createClient<Value, Value>({
          maxValueSize: CACHE_ROUTER_DEFAULTS.maxValueSize,
          // The app may close its server and forget close(): the router's idle sockets must not keep it alive.
          unrefWhenIdle: true,
          ...options.memcached,
        })
      : undefined;
  const client: Client<Value, unknown> = options.client ?? owned!;

  const getOne: Handler = async ({ res, key }) => {
    const target = wire(key!);
    const outcome = (await client.getManySettled([target])).get(target)!;
    if (!outcome.ok) throw outcome.error;
    if (outcome.value === undefined) throw notFound();
    sendJson(res, 200, toJson(outcome.value));
  };

  const getSome: Handler = async ({ res, query }) => {
    const list = query.get('keys');
    if (list === null)
      throw badRequest('list the keys to read: GET /?keys=a,b (memcached cannot list its keys)');
    const keys = [...new Set(list.split(',').filter((key) => key !== ''))];
    const outcomes = await client.getManySettled(keys.map(wire));
    const resource: { key: string; value: unknown }[] = [];
    for (const key of keys) {
      const outcome = outcomes.get(keyPrefix + key)!;
      if (!outcome.ok) throw outcome.error;
      if (outcome.value !== undefined) resource.push({ key, value: toJson(outcome.value) });
    }
    sendJson(res, 200, { resource });
  };

  const postMany: Handler = async ({ req, res }) => {
    const body = (await readJsonBody(req, maxBodySize)) as { resource?: unknown };
    if (body === null || typeof body !== 'object' || !Array.isArray(body.resource)) {
      throw badRequest('send { "resource": [{ "key", "value", "ttl" }] }');
    }
    // Every key, value and TTL is checked before anything is written; items sharing a TTL go in one
    // setMany, which also checks each value's size before sending any (a batch with one TTL is all or
    // nothing; with several TTLs, a group may be written before a later one is refused).
    const byTtl = new Map<number, [string, Value][]>();
    for (const item of body.resource as unknown[]) {
      const { key, value, ttl } = checkedItem(item, keyPrefix);
      byTtl.set(ttl, [...(byTtl.get(ttl) ?? []), [keyPrefix + key, value]]);
    }
    const written: string[] = [];
    for (const [ttl, entries] of byTtl) {
      const outcomes = await client.setMany(entries, { ttl });
      for (const [key, outcome] of outcomes) {
        if (!outcome.ok) throw outcome.error;
        written.push(key.slice(keyPrefix.length));
      }
    }
    sendJson(res, 201, { resource: written.map((key) => ({ key })) });
  };

  const putOne: Handler = async ({ req, res, key }) => {
    const body = (await readJsonBody(req, maxBodySize)) as { value?: unknown; ttl?: unknown };
    if (body === null || typeof body !== 'object' || !('value' in body)) {
      throw badRequest('send { "value": …, "ttl": seconds }');
    }
    const checked = checkedItem({ key, value: body.value, ttl: body.ttl }, keyPrefix);
    await client.set(keyPrefix + checked.key, checked.value, { ttl: checked.ttl });
    sendEmpty(res, 204);
  };

  const deleteOne: Handler = async ({ res, key }) => {
    if (!(await client.delete(wire(key!)))) throw notFound();
    sendEmpty(res, 204);
  };

  const flush: Handler = async ({ res }) => {
    if (!allowFlush) {
      throw new HttpError(403, RouterErrorCodes.FORBIDDEN, 'flushing is turned off (allowFlush)');
    }
    await client.flush();
    sendEmpty(res, 204);
  };

  const route = (method: string, key: string | undefined): Handler => {
    const allowed = key === undefined ? 'GET, POST, DELETE' : 'GET, PUT, DELETE';
    const handlers: Record<string, Handler | undefined> =
      key === undefined
        ? { GET: getSome, POST: postMany, DELETE: flush }
        : { GET: getOne, PUT: putOne, DELETE: deleteOne };
    const handler = handlers[method === 'HEAD' ? 'GET' : method];
    if (handler === undefined) {
      throw new HttpError(405, RouterErrorCodes.METHOD_NOT_ALLOWED, `use ${allowed}`, { allow: allowed });
    }
    return handler;
  };

  const router = (req: IncomingMessage, res: ServerResponse): void => {
    const run = async (): Promise<void> => {
      if (keyOk !== undefined && !keyOk(headerText(req.headers[apiKeyHeader]))) {
        throw new HttpError(401, RouterErrorCodes.UNAUTHORIZED, `send a valid API key in ${apiKeyHeader}`);
      }
      if (refuseCrossSite && headerText(req.headers['sec-fetch-site'])?.toLowerCase() === 'cross-site') {
        throw new HttpError(
          403,
          RouterErrorCodes.FORBIDDEN,
          'cross-site requests are refused (allowCrossSite)',
        );
      }
      const { key, query } = parseTarget(routedTarget(req));
      await route(req.method ?? 'GET', key)({ req, res, key, query });
    };
    run().catch((error: unknown) => {
      const answer = toHttpError(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      sendJson(res, answer.status, { error: { code: answer.code, message: answer.message } });
    });
  };
  return Object.assign(router, {
    close: async () => {
      await owned?.close();
    },
    client,
  });
}

/**
 * A caller's key that memcached takes once prefixed (1–250 bytes with the prefix, no whitespace or
 * control character), or a 400.
 */
function checkedKey(key: unknown, keyPrefix: string): string {
  if (typeof key !== 'string') throw badRequest('each key must be a string');
  // The key alone first, so an index in the message points into what the caller sent.
  const problem =
    keyProblem(key) ??
    (keyProblem(keyPrefix + key) === undefined
      ? undefined
      : `is ${Buffer.byteLength(keyPrefix + key)} bytes long with the prefix ${JSON.stringify(keyPrefix)}; memcached allows at most ${MAX_KEY_BYTES}`);
  if (problem !== undefined) {
    throw new HttpError(400, 'ERR_MEMWIRE_INVALID_KEY', `invalid key: it ${problem}`);
  }
  return key;
}

function checkedItem(item: unknown, keyPrefix: string): { key: string; value: Value; ttl: number } {
  if (item === null || typeof item !== 'object' || !('key' in item) || !('value' in item)) {
    throw badRequest('each item needs a key and a value');
  }
  const { key, value, ttl } = item as { key: unknown; value: unknown; ttl?: unknown };
  const checked = checkedKey(key, keyPrefix);
  if (value === undefined) throw badRequest(`the value of ${JSON.stringify(checked)} is missing`);
  return { key: checked, value: value as Value, ttl: ttlFromMemcachedExptime(ttl, checked) };
}

/** A value read back as JSON: bytes another client wrote come back as UTF-8 text. */
function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  // Values behind an API key must not be kept by any cache on the way.
  res.setHeader('cache-control', 'no-store');
  res.end(text);
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('cache-control', 'no-store');
  res.end();
}

function notFound(): HttpError {
  return new HttpError(404, RouterErrorCodes.NOT_FOUND, 'no value for this key');
}

function badRequest(message: string): HttpError {
  return new HttpError(400, RouterErrorCodes.BAD_REQUEST, message);
}
