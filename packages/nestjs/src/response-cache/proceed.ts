import {
  captureResponse,
  type Exchange,
  localTags,
  runExchange,
  type ServedResponse,
  writeServed,
} from '@memwire/http-cache';
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
  /** Fields the cache reads but never sends, lower-case (its own targeted Cache-Control). */
  notSent: readonly string[];
  /** The route's own tags (`@CacheResponse({ tags })`). */
  routeTags: readonly string[];
}

/**
 * Does what the cache decided, with the engine's one runner (as `@memwire/express` does), with Nest's
 * handler in the place of Express's `next()`.
 */
export function proceed(exchange: Exchange, context: ProceedContext): Observable<unknown> {
  const { http } = context;
  const outcome = runExchange(exchange, {
    request: http.request,
    response: http.response,
    headersSoFar: http.headersSoFar,
    tagHeader: context.tagHeader,
    notSent: context.notSent,
    moreTags: () => [...context.routeTags, ...localTags(http.locals)],
    serve: (served) => serve(http, served, context.nestReplies),
  });
  return outcome === 'served' ? of(undefined) : context.handle();
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
