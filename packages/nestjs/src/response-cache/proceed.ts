import type { ServerResponse } from 'node:http';
import {
  captureResponse,
  type Exchange,
  type OriginResponse,
  removeOnHead,
  type ServedResponse,
  setHeaders,
  writeServed,
} from '@memwire/express';
import { type Observable, of } from 'rxjs';
import type { NodeExchange } from './platform.js';

/** What {@link proceed} needs besides the exchange. */
export interface ProceedContext {
  http: NodeExchange;
  /** Runs the handler (Nest's `next.handle()`). */
  handle: () => Observable<unknown>;
  /** Whether Nest writes the response after the interceptor (false: the handler takes `@Res()`). */
  nestReplies: boolean;
  /** The header tags are read from, lower-case. */
  tagHeader: string;
  /** The route's own tags (`@CacheResponse({ tags })`). */
  routeTags: readonly string[];
  /**
   * The cache's own targeted Cache-Control field (RFC 9213), lower-case: read by the cache, never
   * sent. Removed inside the capture, which reads the head first.
   */
  ownTargeted?: string | undefined;
}

/**
 * Does what the cache decided, the way `@memwire/express`'s middleware does, with Nest's handler
 * in the place of Express's `next()`. A step that throws never breaks the request: the handler runs.
 */
export function proceed(exchange: Exchange, context: ProceedContext): Observable<unknown> {
  const { response } = context.http;
  // Nest sets @Header() fields on every reply, hits included, so it goes from every one.
  if (context.ownTargeted !== undefined) removeOnHead(response, context.ownTargeted);
  if (exchange.kind === 'serve') {
    try {
      serve(context.http, exchange.response, context.nestReplies);
      return of(undefined);
    } catch {
      return response.headersSent ? of(undefined) : context.handle();
    }
  }
  try {
    if (exchange.kind === 'fetch') {
      // The cache's conditional request: the handler sees a copy, the cache keeps the client's.
      if (exchange.requestHeaders !== undefined) context.http.request.headers = exchange.requestHeaders;
      fetchFromOrigin(exchange, context);
    } else {
      passThrough(exchange, response, context.tagHeader);
      setHeaders(response, exchange.headers);
    }
  } catch {
    // The cache never breaks a request: on to the handler.
  }
  return context.handle();
}

/**
 * Nest writes a reply once the interceptor's Observable emits (here `undefined`: the handler does
 * not run), setting headers that would fail on a response already sent. So the stored response
 * replaces that reply as it is written, with the capture's substitution (as stale-if-error does);
 * headers set before (middleware, `@Header()`) stay. A handler taking `@Res()` gets no reply from
 * Nest, so the stored response is written at once.
 */
function serve(http: NodeExchange, served: ServedResponse, nestReplies: boolean): void {
  const { response } = http;
  if (!nestReplies) {
    writeServed(response, served);
    return;
  }
  captureResponse(response, {
    maxBodySize: 0,
    tagHeader: '',
    inherited: http.headersSoFar(),
    holdEnd: false,
    onHead: () => served,
    onEnd: () => {},
    onAbort: () => {},
  });
}

function fetchFromOrigin(exchange: Extract<Exchange, { kind: 'fetch' }>, context: ProceedContext): void {
  const { response, locals, headersSoFar } = context.http;
  let finished = false;
  const finish = (origin: OriginResponse | undefined): void => {
    if (finished) return;
    finished = true;
    exchange.finish(origin);
  };
  // Set before the handler runs (by middleware, Nest's @Header()): they count for the decision but
  // are not stored, since they are set again on every request.
  const inherited = headersSoFar();
  try {
    setHeaders(response, exchange.headers);
    captureResponse(response, {
      maxBodySize: exchange.maxBodySize,
      maxCaptureBytes: exchange.maxCaptureBytes,
      tagHeader: context.tagHeader,
      inherited,
      holdEnd: false,
      onHead: (head) => exchange.onHead({ ...head, inherited }),
      onEnd: ({ head, body, tags, setCookie }) => {
        const allTags = [...tags, ...context.routeTags, ...localTags(locals)];
        finish({ ...head, body, tags: allTags, setCookie, inherited });
      },
      onAbort: () => finish(undefined),
    });
  } catch (error) {
    finish(undefined);
    throw error;
  }
}

/**
 * The response goes out as the handler writes it, without the tag header (it is for the cache), and
 * after a success of an unsafe method, once its URL is invalidated (read-your-writes). Capturing,
 * rather than removing the header from Node's response, also catches the headers Fastify hands to
 * `writeHead` only.
 */
function passThrough(
  exchange: Extract<Exchange, { kind: 'invalidate' | 'pass' }>,
  response: ServerResponse,
  tagHeader: string,
): void {
  captureResponse(response, {
    maxBodySize: 0,
    tagHeader,
    inherited: new Map(),
    holdEnd: exchange.kind === 'invalidate',
    onHead: () => undefined,
    onEnd: ({ head }) => (exchange.kind === 'invalidate' ? exchange.finish(head) : undefined),
    onAbort: () => {},
  });
}

/** Tags an Express handler put in `res.locals.cacheTags` (a string or a list). */
function localTags(locals: Record<string, unknown> | undefined): string[] {
  const tags = locals?.['cacheTags'];
  if (typeof tags === 'string') return [tags];
  if (Array.isArray(tags)) return tags.filter((tag): tag is string => typeof tag === 'string');
  return [];
}
