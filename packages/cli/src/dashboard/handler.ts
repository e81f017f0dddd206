import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ClientOptions, resolveConfig, type Value } from '@memwire/core';
import { clientPerServer, closeAll } from '../config.js';
import { DASHBOARD_PAGE } from './page.js';
import { type Sample, Sampler } from './sampler.js';

/** Options of {@link dashboardHandler}: the client options (servers, url, env…) and these two. */
export interface DashboardOptions extends ClientOptions<Value> {
  /** Milliseconds between samples of every server (`stats`, `stats slabs`). @default 2000 */
  interval?: number | undefined;
  /** Samples kept for the charts, and sent to a page when it opens. @default 300 */
  history?: number | undefined;
}

export const DASHBOARD_DEFAULTS = {
  interval: 2000,
  history: 300,
} as const;

/** A `node:http` handler for the dashboard, with its sampler and a way to stop both. */
export interface DashboardHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Stops sampling, ends the open event streams and closes the clients it made. */
  close(): Promise<void>;
  /** The samples kept so far, oldest first. */
  history(): readonly Sample[];
}

/**
 * The dashboard as a `node:http` handler, to mount behind the application's own authentication
 * (it has none: anyone who reaches it sees the servers' addresses and figures, never a credential).
 * Under Express, `app.use('/memcached', requireAdmin, dashboardHandler())`. Routes, relative to where
 * it is mounted: `/` the page, `/snapshot` the samples kept (JSON), `/events` new samples as
 * server-sent events. Sampling starts at once, so the charts have a history when the page opens.
 */
export function dashboardHandler(options: DashboardOptions = {}): DashboardHandler {
  const {
    interval = DASHBOARD_DEFAULTS.interval,
    history = DASHBOARD_DEFAULTS.history,
    ...clientOptions
  } = options;
  const clients = clientPerServer(resolveConfig(clientOptions));
  const sampler = new Sampler(clients, interval, history);
  const streams = new Set<ServerResponse>();
  sampler.on('sample', (sample) => {
    const event = `data: ${JSON.stringify(sample)}\n\n`;
    for (const stream of streams) stream.write(event);
  });
  sampler.start();

  const handler = ((request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/' || path === '') {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Nothing but this handler: the page's own inline style and script, and its two requests.
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'",
        'x-content-type-options': 'nosniff',
      });
      response.end(request.method === 'HEAD' ? undefined : DASHBOARD_PAGE);
      return;
    }
    if (path === '/snapshot') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ samples: sampler.history() }));
      return;
    }
    if (path === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        // nginx and other proxies would otherwise hold the events back.
        'x-accel-buffering': 'no',
      });
      response.write(': memwire dashboard\n\n');
      streams.add(response);
      request.once('close', () => streams.delete(response));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }) as DashboardHandler;
  handler.history = () => sampler.history();
  handler.close = async () => {
    await sampler.stop();
    for (const stream of streams) stream.end();
    streams.clear();
    await closeAll(clients.values());
  };
  return handler;
}
