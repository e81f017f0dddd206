import { channel, tracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  type Counter,
  context,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
  type UpDownCounter,
} from '@opentelemetry/api';
import {
  DB_CLIENT_OPERATION_DURATION,
  DB_OPERATION_BATCH_SIZE,
  DB_OPERATION_NAME,
  DB_SYSTEM_NAME,
  ERROR_TYPE,
  errorType,
  HTTP_CACHE_STATUS,
  MEMCACHED,
  serverAttributes,
} from './conventions.js';
import { MEMWIRE_INSTRUMENTATION_DEFAULTS, type MemwireInstrumentationConfig } from './options.js';

const NAME = '@memwire/opentelemetry';
const VERSION = '0.1.0';

/** What @memwire/core publishes per command on `memwire:command` (its CommandTrace, as far as read here). */
interface CommandMessage {
  command: string;
  keys: number;
  server?: string | undefined;
  hit?: boolean | undefined;
  /** Milliseconds. */
  duration?: number | undefined;
  error?: unknown;
}

/** `memwire:server`: a server marked down, or up again. */
interface ServerMessage {
  server: string;
  state: 'up' | 'down';
}

/** `memwire:connection`: a connection ready (logged in), or closed. */
interface ConnectionMessage {
  server: string;
  event: 'open' | 'close';
}

/** `memwire:http-cache`: an HTTP cache's decision for the request whose context is active. */
interface CacheStatusMessage {
  status: string;
}

/** The instruments, made again whenever a meter provider is set. */
interface Instruments {
  duration: Histogram;
  hits: Counter;
  misses: Counter;
  errors: Counter;
  connections: UpDownCounter;
  serverUp: ObservableGauge;
}

/**
 * OpenTelemetry for memwire, without patching anything: it subscribes to the diagnostics channels
 * the packages publish on (`memwire:command`, `memwire:server`, `memwire:http-cache`), so it sees every
 * client in the process, whichever copy of the package made it. Register it like OpenTelemetry's own
 * instrumentations (`registerInstrumentations({ instrumentations: [new MemwireInstrumentation()] })`,
 * or the Node SDK's `instrumentations`); it uses the global providers until given others.
 *
 * Spans: one CLIENT span per command, named after it (`get`, `set`, `getMany`…), with `db.system.name`
 * `memcached`, `db.operation.name`, `server.address` / `server.port` (single-server commands) and
 * `db.operation.batch.size` for multi-key ones; a failure sets the status and `error.type` (the
 * error's stable code). Never a value, never a key (the channel does not carry keys).
 * Metrics: `db.client.operation.duration` (s), `memwire.cache.hits` / `memwire.cache.misses` (single-key
 * reads), `memwire.client.errors` by `error.type`, `memwire.client.connections` (open, per server), and
 * `memwire.server.up` (1 or 0 per server seen going down or up).
 */
export class MemwireInstrumentation {
  readonly instrumentationName = NAME;
  readonly instrumentationVersion = VERSION;
  private config: Required<{
    [K in keyof MemwireInstrumentationConfig]: NonNullable<MemwireInstrumentationConfig[K]>;
  }>;
  private tracer: Tracer;
  private instruments!: Instruments;
  private readonly spans = new WeakMap<object, Span>();
  private readonly serverStates = new Map<string, 0 | 1>();
  private enabled = false;

  constructor(config: MemwireInstrumentationConfig = {}) {
    this.config = { ...MEMWIRE_INSTRUMENTATION_DEFAULTS, ...definedOf(config) };
    this.tracer = trace.getTracer(NAME, VERSION);
    this.useMeter(metrics.getMeter(NAME, VERSION));
    if (this.config.enabled) this.enable();
  }

  setTracerProvider(provider: TracerProvider): void {
    this.tracer = provider.getTracer(NAME, VERSION);
  }

  setMeterProvider(provider: MeterProvider): void {
    this.useMeter(provider.getMeter(NAME, VERSION));
  }

  getConfig(): MemwireInstrumentationConfig {
    return { ...this.config };
  }

  setConfig(config: MemwireInstrumentationConfig = {}): void {
    this.config = { ...MEMWIRE_INSTRUMENTATION_DEFAULTS, ...definedOf(config) };
  }

  enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    tracingChannel('memwire:command').subscribe(this.commandHandlers);
    channel('memwire:server').subscribe(this.onServer);
    channel('memwire:connection').subscribe(this.onConnection);
    channel('memwire:http-cache').subscribe(this.onCacheStatus);
  }

  disable(): void {
    if (!this.enabled) return;
    this.enabled = false;
    tracingChannel('memwire:command').unsubscribe(this.commandHandlers);
    channel('memwire:server').unsubscribe(this.onServer);
    channel('memwire:connection').unsubscribe(this.onConnection);
    channel('memwire:http-cache').unsubscribe(this.onCacheStatus);
  }

  private useMeter(meter: Meter): void {
    const serverUp = meter.createObservableGauge('memwire.server.up', {
      description: '1 while a memcached server serves, 0 while a client has it marked down',
    });
    serverUp.addCallback((result) => {
      for (const [server, up] of this.serverStates) result.observe(up, serverAttributes(server));
    });
    this.instruments = {
      duration: meter.createHistogram(DB_CLIENT_OPERATION_DURATION, {
        description: 'Duration of memcached commands, from the call to its settlement',
        unit: 's',
        advice: {
          explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        },
      }),
      hits: meter.createCounter('memwire.cache.hits', { description: 'Single-key reads that found the key' }),
      misses: meter.createCounter('memwire.cache.misses', { description: 'Single-key reads that did not' }),
      errors: meter.createCounter('memwire.client.errors', { description: 'Failed commands, by error.type' }),
      connections: meter.createUpDownCounter('memwire.client.connections', {
        description: 'Open connections (connected and logged in) to each server, from every client',
      }),
      serverUp,
    };
  }

  private readonly commandHandlers = {
    start: (message: unknown): void => {
      const command = message as CommandMessage;
      const parent = context.active();
      if (this.config.requireParentSpan && trace.getSpan(parent) === undefined) return;
      const attributes: Attributes = { [DB_SYSTEM_NAME]: MEMCACHED, [DB_OPERATION_NAME]: command.command };
      if (command.keys > 1) attributes[DB_OPERATION_BATCH_SIZE] = command.keys;
      const span = this.tracer.startSpan(command.command, { kind: SpanKind.CLIENT, attributes }, parent);
      this.spans.set(command, span);
    },
    end: (): void => {},
    asyncStart: (): void => {},
    error: (message: unknown): void => {
      const command = message as CommandMessage;
      const span = this.spans.get(command);
      if (span === undefined) return;
      const error = command.error;
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : undefined,
      });
      span.setAttribute(ERROR_TYPE, errorType(error));
      if (error instanceof Error) span.recordException(error);
    },
    asyncEnd: (message: unknown): void => {
      const command = message as CommandMessage;
      const attributes: Attributes = {
        [DB_SYSTEM_NAME]: MEMCACHED,
        [DB_OPERATION_NAME]: command.command,
        ...serverAttributes(command.server),
      };
      const failed = command.error !== undefined;
      if (failed) attributes[ERROR_TYPE] = errorType(command.error);
      const span = this.spans.get(command);
      if (span !== undefined) {
        this.spans.delete(command);
        span.setAttributes(serverAttributes(command.server));
        if (command.hit !== undefined) span.setAttribute('memwire.hit', command.hit);
        span.end();
      }
      if (command.duration !== undefined)
        this.instruments.duration.record(command.duration / 1000, attributes);
      if (failed) this.instruments.errors.add(1, attributes);
      else if (command.hit === true) this.instruments.hits.add(1, attributes);
      else if (command.hit === false) this.instruments.misses.add(1, attributes);
    },
  };

  private readonly onServer = (message: unknown): void => {
    const { server, state } = message as ServerMessage;
    this.serverStates.set(server, state === 'up' ? 1 : 0);
  };

  private readonly onConnection = (message: unknown): void => {
    const { server, event } = message as ConnectionMessage;
    this.instruments.connections.add(event === 'open' ? 1 : -1, serverAttributes(server));
  };

  private readonly onCacheStatus = (message: unknown): void => {
    if (!this.config.httpCacheStatus) return;
    trace.getActiveSpan()?.setAttribute(HTTP_CACHE_STATUS, (message as CacheStatusMessage).status);
  };
}

/** The options given, without those given as undefined (which keep their defaults). */
function definedOf(config: MemwireInstrumentationConfig): MemwireInstrumentationConfig {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
}
