import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The request as the middleware reads it: Node's, plus what Express adds. Express 4 and 5 requests
 * both fit, as do plain Node ones.
 */
export interface RequestLike extends IncomingMessage {
  /** The URL before mounted routers stripped their path (Express). */
  originalUrl?: string;
}

/** The response as the middleware writes it: Node's, plus Express's `locals`. */
export interface ResponseLike extends ServerResponse {
  locals?: Record<string, unknown>;
}

/** Express's `next`. */
export type NextFunction = (error?: unknown) => void;
