import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { onTestFinished } from 'vitest';
import { type Reply, type RequestOptions, requestAt } from '../../../test/support/http.js';

export type { Reply, RequestOptions } from '../../../test/support/http.js';

/** Plain HTTP/1.1 to `base` (no keep-alive, no decompression), so a closed app has no client left. */
export function requestTo(base: string) {
  const port = Number(new URL(base).port);
  return (path: string, options: RequestOptions = {}): Promise<Reply> => requestAt(port, path, options);
}

export interface RunningApp {
  app: INestApplication;
  request: ReturnType<typeof requestTo>;
  close(): Promise<void>;
}

/**
 * A Nest application of `metadata` listening on a free loopback port, on Express or the `adapter`
 * given (Fastify's), closed when the test finishes (or earlier by `close()`). `configure` runs before
 * it listens. Shared with the Nest 10 suite (test/nest10), which resolves Nest to Nest 10.
 */
export async function startApp(
  metadata: ModuleMetadata,
  options: { adapter?: AbstractHttpAdapter | undefined; configure?: (app: INestApplication) => void } = {},
): Promise<RunningApp> {
  const { adapter, configure } = options;
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app =
    adapter === undefined
      ? moduleRef.createNestApplication({ logger: false })
      : moduleRef.createNestApplication(adapter, { logger: false });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  onTestFinished(close);
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, request: requestTo(url), close };
}

let prefixes = 0;
/** A key prefix no other test uses, so tests sharing one memcached never see each other's entries. */
export function uniquePrefix(): string {
  prefixes += 1;
  return `t${process.pid}.${prefixes}.${Date.now().toString(36)}:`;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
