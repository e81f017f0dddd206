import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange } from '../engine/exchange.js';
import type { OriginResponse, ServedResponse } from '../types.js';
import { captureResponse } from './capture.js';
import { publishCacheStatus } from './status-channel.js';
import { removeOnHead, setHeaders, writeServed } from './write-served.js';

/** What {@link runExchange} works on: Node's request and response, and the adapter's few choices. */
export interface ExchangeIO {
  /** The request the application reads: it gets the cache's conditional request headers. */
  request: IncomingMessage;
  response: ServerResponse;
  /**
   * The header fields set on the response before the application runs (by middleware, Nest's
   * `@Header()`): they count for the cache's decision and are kept on a substitute, but are not
   * stored, since they are set again on every request.
   */
  headersSoFar(): Map<string, string>;
  /** The header the application's tags come in (lower-case): read by the cache, never sent. */
  tagHeader: string;
  /** More fields the cache reads but never sends (lower-case): its own targeted Cache-Control. */
  notSent: readonly string[];
  /** Tags besides the tag header, read when the response ends (a route's own, `res.locals.cacheTags`). */
  moreTags(): readonly string[];
  /**
   * Writes a stored response. Default: at once, on Node's response. Nest, which writes a reply
   * itself after its interceptor, substitutes the stored response as that reply is written.
   */
  serve?(served: ServedResponse): void;
}

/**
 * Does what the cache decided for one request, the same way in every framework: writes a stored
 * response, or sets the cache's headers and captures what the application writes. Returns whether
 * the request is answered (`served`) or the application must run (`origin`: Express's `next()`,
 * Nest's `next.handle()`). A step that throws never breaks the request: the application runs.
 */
export function runExchange(exchange: Exchange, io: ExchangeIO): 'served' | 'origin' {
  const { response } = io;
  try {
    publishCacheStatus({ status: exchange.cacheStatus, request: io.request, response });
  } catch {
    // A subscriber's failure is not the request's.
  }
  try {
    // Installed before any capture, so inside it: the capture reads the head (and the cache decides
    // on the targeted field) before these go. The tag header is also dropped by the captures below,
    // which see the headers a framework hands to `writeHead` only (Fastify does).
    for (const name of [io.tagHeader, ...io.notSent]) removeOnHead(response, name);
  } catch {
    // The cache never breaks a request.
  }
  if (exchange.kind === 'serve') {
    try {
      (io.serve ?? ((served) => writeServed(response, served)))(exchange.response);
      return 'served';
    } catch {
      return response.headersSent ? 'served' : 'origin';
    }
  }
  try {
    if (exchange.kind === 'fetch') {
      // The cache's conditional request: the application sees a copy, the cache keeps the client's.
      if (exchange.requestHeaders !== undefined) io.request.headers = exchange.requestHeaders;
      fetchFromOrigin(exchange, io);
    } else {
      passThrough(exchange, io);
      setHeaders(response, exchange.headers);
    }
  } catch {
    // The cache never breaks a request: on to the application.
  }
  return 'origin';
}

function fetchFromOrigin(exchange: Extract<Exchange, { kind: 'fetch' }>, io: ExchangeIO): void {
  let finished = false;
  const finish = (origin: OriginResponse | undefined): void => {
    if (finished) return;
    finished = true;
    exchange.finish(origin);
  };
  const inherited = io.headersSoFar();
  try {
    setHeaders(io.response, exchange.headers);
    captureResponse(io.response, {
      maxBodySize: exchange.maxBodySize,
      maxCaptureBytes: exchange.maxCaptureBytes,
      tagHeader: io.tagHeader,
      inherited,
      holdEnd: false,
      onHead: (head) => exchange.onHead({ ...head, inherited }),
      onEnd: ({ head, body, tags, setCookie }) => {
        finish({ ...head, body, tags: [...tags, ...io.moreTags()], setCookie, inherited });
      },
      onAbort: () => finish(undefined),
    });
  } catch (error) {
    finish(undefined);
    throw error;
  }
}

/**
 * The response goes out as the application writes it, without the tag header; after a success of an
 * unsafe method, only once its URL is invalidated (read-your-writes: the client's next read misses).
 */
function passThrough(exchange: Extract<Exchange, { kind: 'invalidate' | 'pass' }>, io: ExchangeIO): void {
  captureResponse(io.response, {
    maxBodySize: 0,
    tagHeader: io.tagHeader,
    inherited: new Map(),
    holdEnd: exchange.kind === 'invalidate',
    onHead: () => undefined,
    onEnd: ({ head }) => (exchange.kind === 'invalidate' ? exchange.finish(head) : undefined),
    onAbort: () => {},
  });
}

/** Tags an application put in `res.locals.cacheTags` (Express's convention: a string or a list). */
export function localTags(locals: Record<string, unknown> | undefined): string[] {
  const tags = locals?.['cacheTags'];
  if (typeof tags === 'string') return [tags];
  if (Array.isArray(tags)) return tags.filter((tag): tag is string => typeof tag === 'string');
  return [];
}
