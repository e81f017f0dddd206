import { IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  expressRefresh,
  headerSnapshot,
  type RefreshRequest,
  withoutInjectedAgent,
} from '@memwire/http-cache';
import type { ExecutionContext } from '@nestjs/common';

/** A request and its response as Node sees them, whichever HTTP platform Nest runs on. */
export interface NodeExchange {
  /** The request object the platform hands to handlers (Express's `req`, Fastify's request). */
  platformRequest: unknown;
  request: IncomingMessage;
  /** The request target as received: path and query. */
  url: string;
  response: ServerResponse;
  /** Express's `res.locals`, where an application may put `cacheTags`. */
  locals: Record<string, unknown> | undefined;
  /**
   * The header fields set on the response so far. Fastify keeps the fields set through its reply
   * (`@Header()`, hooks, plugins) apart from Node's response until it writes the head, so they are
   * read from the reply, which holds both.
   */
  headersSoFar(): Map<string, string>;
}

/**
 * Express hands Nest Node's own request and response (extended); Fastify wraps them, and keeps the
 * Node ones in `raw`. Anything else (HTTP/2, a custom adapter) is not cached.
 */
export function nodeExchangeOf(
  platformRequest: unknown,
  platformResponse: unknown,
): NodeExchange | undefined {
  const raw = platformRequest instanceof IncomingMessage ? platformRequest : rawOf(platformRequest);
  const response = platformResponse instanceof ServerResponse ? platformResponse : rawOf(platformResponse);
  if (!(raw instanceof IncomingMessage || isInjected(raw)) || !(response instanceof ServerResponse))
    return undefined;
  const request = raw as IncomingMessage;
  // Express's originalUrl survives mounted routers; Fastify's request has one too (its url is the same).
  const original = (platformRequest as { originalUrl?: unknown }).originalUrl;
  const url = typeof original === 'string' ? original : (request.url ?? '/');
  const locals = (platformResponse as { locals?: unknown }).locals;
  const wrapper = platformResponse as { getHeaders?: unknown };
  // headerSnapshot() reads nothing but getHeaders(): Fastify's reply has one, holding its own and Node's.
  const readsHeaders =
    platformResponse !== response && typeof wrapper.getHeaders === 'function'
      ? ({ getHeaders: () => (wrapper.getHeaders as () => OutgoingHttpHeaders)() } as ServerResponse)
      : response;
  return {
    platformRequest,
    request,
    url,
    response,
    locals: typeof locals === 'object' && locals !== null ? (locals as Record<string, unknown>) : undefined,
    headersSoFar: () => headerSnapshot(readsHeaders),
  };
}

/**
 * A request made by light-my-request (Fastify's `inject()`, which a stale-while-revalidate refresh
 * on Fastify goes through): a Readable with IncomingMessage's fields, not an IncomingMessage, marked
 * by its `_lightMyRequest` state.
 */
function isInjected(request: unknown): boolean {
  if (typeof request !== 'object' || request === null || request instanceof IncomingMessage) return false;
  const state = (request as { _lightMyRequest?: unknown })._lightMyRequest;
  return typeof state === 'object' && state !== null;
}

function rawOf(wrapper: unknown): unknown {
  return typeof wrapper === 'object' && wrapper !== null ? (wrapper as { raw?: unknown }).raw : undefined;
}

// @nestjs/common's constants and RouteParamtypes, the same in Nest 10, 11 and 12. Written out rather
// than imported: `@nestjs/common/constants` is not importable from ESM under Nest 10 (no exports map).
const ROUTE_ARGS_METADATA = '__routeArguments__';
const RESPONSE_PASSTHROUGH_METADATA = '__responsePassthrough__';
const RESPONSE_PARAM = 1;
const NEXT_PARAM = 2;

const reflect = Reflect as typeof Reflect & {
  getMetadata?(key: string, target: object, property?: string | symbol): unknown;
};

/**
 * Whether Nest writes the handler's result itself: not when the handler takes `@Res()` or `@Next()`
 * without `passthrough: true` (Nest's router makes the same test), since the handler answers then.
 */
export function nestWillReply(context: ExecutionContext): boolean {
  const getMetadata = reflect.getMetadata;
  if (getMetadata === undefined) return true;
  const target = context.getClass();
  const method = context.getHandler().name;
  const args = getMetadata(ROUTE_ARGS_METADATA, target, method);
  if (typeof args !== 'object' || args === null) return true;
  const answersItself = Object.keys(args).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === RESPONSE_PARAM || type === NEXT_PARAM;
  });
  return !answersItself || getMetadata(RESPONSE_PASSTHROUGH_METADATA, target, method) === true;
}

/**
 * How a stale-while-revalidate refresh is sent through the application: on Express, injected into
 * the Express app (`req.app`) with light-my-request; on Fastify, by the Fastify instance's own
 * `inject()` (the same library). Undefined on anything else: the refreshing request waits for the
 * origin itself, as before.
 */
export function refreshOf(
  platformRequest: unknown,
): ((request: RefreshRequest) => Promise<unknown>) | undefined {
  if (platformRequest instanceof IncomingMessage) return expressRefresh(platformRequest as { app?: unknown });
  const server = (platformRequest as { server?: { inject?: unknown } } | null)?.server;
  if (typeof server?.inject !== 'function') return undefined;
  const inject = server.inject as (options: RefreshRequest & { remoteAddress?: string }) => Promise<unknown>;
  // From the client's own address (Fastify's trustProxy decides by it), with no User-Agent added.
  const remoteAddress = (platformRequest as { raw?: { socket?: { remoteAddress?: unknown } } }).raw?.socket
    ?.remoteAddress;
  return (request) =>
    inject.call(server, {
      method: request.method,
      url: request.url,
      headers: withoutInjectedAgent(request.headers),
      ...(typeof remoteAddress === 'string' ? { remoteAddress } : {}),
    });
}
