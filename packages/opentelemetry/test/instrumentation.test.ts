import type { AddressInfo } from 'node:net';
import { createClient } from '@memwire/core';
import { responseCache } from '@memwire/express';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { type CollectionResult, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { type MemcachedServer, startMemcached } from '../../../test/support/index.js';
import { MemwireInstrumentation } from '../src/index.js';

/** A reader the test collects from when it wants. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const instrumentation = new MemwireInstrumentation();
const contextManager = new AsyncLocalStorageContextManager().enable();
let unregister: () => void;
let memcached: MemcachedServer;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  unregister = registerInstrumentations({
    instrumentations: [instrumentation],
    tracerProvider,
    meterProvider,
  });
  memcached = await startMemcached();
});
afterAll(async () => {
  unregister?.();
  context.disable();
  await Promise.all([memcached?.stop(), meterProvider.shutdown(), tracerProvider.shutdown()]);
});
afterEach(() => spans.reset());

/** The data points of one metric, by metric name. */
async function points(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
  const { resourceMetrics }: CollectionResult = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((candidate) => candidate.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }));
}

describe('MemwireInstrumentation', () => {
  test('a CLIENT span per command with the database conventions, never a value', async () => {
    const client = createClient({ servers: memcached.address, env: false });
    await client.set('otel:user', { secret: 'hunter2' });
    await client.get('otel:user');
    await client.getMany(['otel:user', 'otel:absent']);
    await client.close();
    const finished = spans.getFinishedSpans();
    expect(finished.map((span) => span.name)).toEqual(['set', 'get', 'getMany']);
    const [set, get, getMany] = finished;
    expect(set!.kind).toBe(SpanKind.CLIENT);
    expect(get!.attributes).toEqual({
      'db.system.name': 'memcached',
      'db.operation.name': 'get',
      'server.address': '127.0.0.1',
      'server.port': memcached.port,
      'memwire.hit': true,
    });
    expect(getMany!.attributes['db.operation.batch.size']).toBe(2);
    expect(JSON.stringify(finished.map((span) => span.attributes))).not.toContain('hunter2');
  });

  test('a span is a child of the active span, so a request trace shows its cache commands', async () => {
    const client = createClient({ servers: memcached.address, env: false });
    const tracer = tracerProvider.getTracer('test');
    await tracer.startActiveSpan('GET /page', async (request) => {
      await client.get('otel:page');
      request.end();
    });
    await client.close();
    const [get, request] = spans.getFinishedSpans();
    expect(get!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
  });

  test('a failure sets the span status and error.type to its code, and counts in the metrics', async () => {
    const client = createClient({ servers: '127.0.0.1:1', env: false, failureThreshold: 100 });
    await expect(client.set('otel:k', 'v')).rejects.toThrow();
    await client.close();
    const [set] = spans.getFinishedSpans();
    expect(set!.status.code).toBe(SpanStatusCode.ERROR);
    expect(set!.attributes['error.type']).toBe('ERR_MEMWIRE_CONNECTION');
    const errors = await points('memwire.client.errors');
    expect(errors).toContainEqual({
      attributes: expect.objectContaining({
        'error.type': 'ERR_MEMWIRE_CONNECTION',
        'db.operation.name': 'set',
      }),
      value: 1,
    });
  });

  test('metrics: operation durations, hits and misses', async () => {
    const client = createClient({ servers: memcached.address, env: false });
    const before = await points('memwire.cache.misses');
    await client.set('otel:hit', 1);
    await client.get('otel:hit');
    await client.get('otel:miss');
    await client.close();
    const sum = (list: { value: unknown }[]) => list.reduce((total, point) => total + Number(point.value), 0);
    expect(sum(await points('memwire.cache.misses')) - sum(before)).toBe(1);
    expect(sum(await points('memwire.cache.hits'))).toBeGreaterThanOrEqual(1);
    const durations = await points('db.client.operation.duration');
    expect(durations.map((point) => point.attributes['db.operation.name'])).toEqual(
      expect.arrayContaining(['get', 'set']),
    );
  });

  test('memwire.server.up follows a server marked down and back up', async () => {
    const client = createClient({
      servers: memcached.address,
      env: false,
      failureThreshold: 1,
      retryDelay: 20,
      maxRetryDelay: 40,
    });
    await client.set('otel:k', 'v');
    const up = async () =>
      (await points('memwire.server.up')).find((point) => point.attributes['server.port'] === memcached.port)
        ?.value;
    await memcached.kill();
    await expect(client.set('otel:k', 'v')).rejects.toThrow();
    expect(await up()).toBe(0);
    await memcached.restart();
    await expect.poll(up, { timeout: 5_000 }).toBe(1);
    await client.close();
  });

  test("the HTTP cache's status lands on the request's span (MISS, then HIT)", async () => {
    const tracer = tracerProvider.getTracer('test');
    const cache = responseCache({
      ttl: 30,
      memcached: { servers: memcached.address, env: false },
      keyPrefix: `otel${Date.now()}:`,
    });
    const app = express();
    // What an HTTP instrumentation does: the request's span is active while the app handles it.
    app.use((req, res, next) => {
      const span = tracer.startSpan(`${req.method} ${req.path}`);
      res.on('finish', () => span.end());
      context.with(trace.setSpan(context.active(), span), next);
    });
    app.get('/page', cache, (_req, res) => res.json({ ok: true }));
    const server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`;
    try {
      for (let i = 0; i < 2; i++) {
        await (await fetch(url)).text();
        await cache.settled();
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await cache.close();
    }
    const requests = spans.getFinishedSpans().filter((span) => span.name === 'GET /page');
    expect(requests.map((span) => span.attributes['http.response.cache_status'])).toEqual(['MISS', 'HIT']);
  });

  test('disable() stops the spans; requireParentSpan keeps background commands out of traces', async () => {
    const client = createClient({ servers: memcached.address, env: false });
    instrumentation.disable();
    await client.get('otel:quiet');
    expect(spans.getFinishedSpans()).toEqual([]);
    instrumentation.setConfig({ requireParentSpan: true });
    instrumentation.enable();
    await client.get('otel:no-parent');
    expect(spans.getFinishedSpans()).toEqual([]);
    instrumentation.setConfig({});
    await client.close();
  });
});

describe('memwire.client.connections', () => {
  test('counts connections as they open and close', async () => {
    const open = async () =>
      (await points('memwire.client.connections'))
        .filter((point) => point.attributes['server.port'] === memcached.port)
        .reduce((total, point) => total + Number(point.value), 0);
    const before = await open();
    const client = createClient({ servers: memcached.address, env: false, poolSize: 2 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.set(`otel:conn:${i}`, i)));
    // The sets asked whether the server speaks meta, on a connection of its own (counted while it
    // is open) that ends once answered: then the pool's two remain.
    await client.protocols();
    await vi.waitFor(async () => expect(await open()).toBe(before + 2), { timeout: 2000, interval: 20 });
    await client.close();
    expect(await open()).toBe(before);
  });
});
