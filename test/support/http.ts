/// <reference path="./express4.d.ts" />
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type RequestListener,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import express5, { type Express } from 'express';
import express4 from 'express4';

// HTTP test plumbing shared by the packages that serve requests (express, rest, fastify, nestjs).

/** The Express majors every middleware test runs on. */
export const frameworks = [
  { name: 'Express 5', create: (): Express => express5() },
  { name: 'Express 4', create: (): Express => express4() },
] as const;

export type Framework = (typeof frameworks)[number];

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface Running {
  readonly url: string;
  request(
    path: string,
    options?: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<Reply>;
  close(): Promise<void>;
}

/** The options of {@link requestAt}: those of `Running.request`, and the local address to send from. */
export type RequestOptions = NonNullable<Parameters<Running['request']>[1]> & { localAddress?: string };

/** One plain HTTP/1.1 request to 127.0.0.1:`port` (no decompression, no keep-alive). */
export function requestAt(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Serves `app` (an Express app or any Node request listener) on a free loopback port; `request` speaks plain HTTP/1.1 (no decompression, no keep-alive). */
export async function serve(app: Express | RequestListener): Promise<Running> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    request: (path, options = {}) => requestAt(port, path, options),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let prefixes = 0;
/** A key prefix no other test uses, so tests sharing one memcached never see each other's entries. */
export function uniquePrefix(): string {
  prefixes += 1;
  return `t${process.pid}.${prefixes}.${Date.now().toString(36)}:`;
}
