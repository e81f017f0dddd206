// A named import, not `import diagnosticsChannel from`: the default import is copied into our .d.cts,
// where a CommonJS consumer without esModuleInterop gets TS1192 (test/consumer-types checks it).
import { type Channel, channel, type TracingChannel, tracingChannel } from 'node:diagnostics_channel';

/**
 * What the `memwire:command` tracing channel publishes for each command, so OpenTelemetry (or any
 * `diagnostics_channel` subscriber) can time and attribute commands without patching the client.
 * Subscribers receive it on `start`, `end`, `asyncStart`, `asyncEnd` and `error` (Node's
 * TracingChannel protocol); `duration`, `hit` and `error` are filled in by the time of `asyncEnd`.
 *
 * @example
 * import { tracingChannel } from 'node:diagnostics_channel';
 * tracingChannel('memwire:command').subscribe({
 *   asyncEnd: (ctx) => console.log(ctx.command, ctx.server, ctx.duration),
 * });
 */
export interface CommandTrace {
  /** The client method, e.g. `get`, `set`, `getMany`. */
  command: string;
  /** How many keys the call names. */
  keys: number;
  /** The server (`host:port`) for single-key commands; undefined when the call spans servers. */
  server?: string | undefined;
  /** Bytes of the value written, for writes. */
  bytes?: number | undefined;
  /** For single-key reads: whether the key was found. */
  hit?: boolean | undefined;
  /** Milliseconds from the call to its settlement. */
  duration?: number | undefined;
  /** Set by the channel when the call rejects. */
  error?: unknown;
  /**
   * Set by Node's TracingChannel to the call's resolved value: values read from the cache included.
   * Treat it as sensitive in exporters (log `hit`, not `result`).
   */
  result?: unknown;
}

export const commandChannel: TracingChannel<CommandTrace, CommandTrace> = tracingChannel('memwire:command');

/** What the `memwire:server` channel publishes when a server is marked down or answers again. */
export interface ServerStateMessage {
  /** `host:port` */
  server: string;
  state: 'up' | 'down';
  /** Why it was marked down. */
  error?: Error | undefined;
}

/** A server's state changes, for metrics (the `serverDown` / `serverUp` events, process-wide). */
export const serverChannel = channel('memwire:server') as Channel<ServerStateMessage, ServerStateMessage>;

/** Publishes a state change, when anyone listens. */
export function publishServerState(message: ServerStateMessage): void {
  if (serverChannel.hasSubscribers) serverChannel.publish(message);
}

/** What the `memwire:connection` channel publishes when a connection is ready (logged in) or closes. */
export interface ConnectionEventMessage {
  /** `host:port` */
  server: string;
  event: 'open' | 'close';
}

/** Connections opening and closing, process-wide: for an open-connections metric. */
export const connectionChannel = channel('memwire:connection') as Channel<
  ConnectionEventMessage,
  ConnectionEventMessage
>;

/** Publishes a connection event, when anyone listens. */
export function publishConnectionEvent(message: ConnectionEventMessage): void {
  if (connectionChannel.hasSubscribers) connectionChannel.publish(message);
}

/** Whether anyone listens: tracing costs nothing on the hot path when nobody does. */
export function isTracing(): boolean {
  const channel = commandChannel;
  return (
    channel.start.hasSubscribers ||
    channel.end.hasSubscribers ||
    channel.asyncEnd.hasSubscribers ||
    channel.error.hasSubscribers
  );
}

/** Runs `start` inside the tracing channel, recording its duration and outcome on `trace`. */
export function traceCommand<T>(trace: CommandTrace, start: () => Promise<T>): Promise<T> {
  const begin = performance.now();
  return commandChannel.tracePromise(
    () =>
      start().then(
        (value) => {
          trace.duration = performance.now() - begin;
          if (trace.keys === 1 && trace.hit === undefined && /^get/.test(trace.command)) {
            trace.hit = value !== undefined;
          }
          return value;
        },
        (error: unknown) => {
          trace.duration = performance.now() - begin;
          throw error;
        },
      ),
    trace,
  );
}
