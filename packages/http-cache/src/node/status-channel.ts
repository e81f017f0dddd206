import { type Channel, channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CacheStatus } from '../types.js';

/** What the `memwire:http-cache` channel publishes for each request the cache decides on. */
export interface CacheStatusMessage {
  /** HIT, MISS, STALE, BYPASS or REVALIDATED, as the status header says (sent or not). */
  status: CacheStatus;
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * Every adapter's cache decisions, process-wide, published synchronously in the request's own async
 * context: an OpenTelemetry subscriber (`@memwire/opentelemetry`) finds the request's span active and
 * adds the status to it. Costs nothing while nobody subscribes.
 */
export const cacheStatusChannel = channel('memwire:http-cache') as Channel<
  CacheStatusMessage,
  CacheStatusMessage
>;

export function publishCacheStatus(message: CacheStatusMessage): void {
  if (cacheStatusChannel.hasSubscribers) cacheStatusChannel.publish(message);
}
