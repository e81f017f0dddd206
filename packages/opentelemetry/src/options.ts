/** Options of {@link MemwireInstrumentation}; every default is in {@link MEMWIRE_INSTRUMENTATION_DEFAULTS}. */
export interface MemwireInstrumentationConfig {
  /**
   * Subscribe at construction, as OpenTelemetry's own instrumentations do (`registerInstrumentations`
   * and the Node SDK enable it again if this is false). @default true
   */
  enabled?: boolean | undefined;
  /**
   * Make spans only for commands issued inside another span (a request's): a worker's or a script's
   * background traffic then makes no root spans of its own. Metrics count every command. @default false
   */
  requireParentSpan?: boolean | undefined;
  /**
   * Add the HTTP caches' status (HIT, MISS, STALE, BYPASS, REVALIDATED) to the request's active span
   * as `http.response.cache_status`, for @memwire/express, @memwire/fastify and @memwire/nestjs.
   * @default true
   */
  httpCacheStatus?: boolean | undefined;
}

export const MEMWIRE_INSTRUMENTATION_DEFAULTS = {
  enabled: true,
  requireParentSpan: false,
  httpCacheStatus: true,
} as const;
