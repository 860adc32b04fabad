/**
 * Traces: module decisions become spans exported over OTLP/HTTP protobuf.
 *
 * The agent process traces through NodeSDK (@opentelemetry/sdk-node): one
 * SDK per process, registered with the OpenTelemetry API, started at agent
 * start and shut down (flushing) on graceful shutdown. It is configured with
 * the agent's resource (plus sdk-node's env/process/host detectors, or those
 * OTEL_NODE_RESOURCE_DETECTORS names), our BoundedBatchSpanProcessor around
 * the OTLP proto exporter as its only span processor (bounded queue, counted
 * drops), no instrumentations (the agent traces its own decisions, not
 * library calls) and no metric or log exporters (metrics stay on the
 * MeterProvider behind /metrics).
 *
 * The OTLP exporter honours the standard OTEL_EXPORTER_OTLP_* variables
 * (headers, timeout, compression, endpoint when --otlp-endpoint is not
 * given), the batch processor OTEL_BSP_SCHEDULE_DELAY, and
 * OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none turn tracing off.
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { BoundedBatchSpanProcessor, type ExportFailure, type SpanLossReason } from './bounded-processor.ts';
import { SCOPE_NAME } from './names.ts';

export interface TracingOptions {
  /** base OTLP/HTTP endpoint (http://host:4318) or the full .../v1/traces URL */
  endpoint: string | undefined;
  resource: Resource;
  version: string;
  maxQueueSize: number;
  /** give up on one export after this long (default 5000 ms) */
  exportTimeoutMs?: number;
  /** how long spans wait to be batched (default $OTEL_BSP_SCHEDULE_DELAY, else 1000 ms) */
  scheduledDelayMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * 'sdk' (default): NodeSDK, registered process-wide; what the agent process
   * uses. 'local': a private BasicTracerProvider, registered nowhere.
   */
  provider?: 'sdk' | 'local';
  /** called for every failed export (the agent logs them at a bounded rate: exportFailureLogger) */
  onExportFailure?: (f: ExportFailure) => void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** 'sdk', 'local', or 'off' when tracing is disabled */
  readonly kind: 'sdk' | 'local' | 'off';
  readonly tracer: Tracer;
  /** spans lost so far, by reason (queue_full, export_failed, export_timeout, shutdown) */
  dropped(): Readonly<Record<string, number>>;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

function envEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
}

function envMillis(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  const n = raw ? Number(raw) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** the NodeSDK this process runs, if any: it owns the API's global providers */
let liveSdk: NodeSDK | undefined;

export function createTracing(opts: TracingOptions): Tracing {
  const env = opts.env ?? process.env;
  const disabled = env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  const endpoint = opts.endpoint ?? envEndpoint(env);
  if (disabled || !endpoint) {
    // No collector configured: spans are not even built.
    return {
      enabled: false,
      kind: 'off',
      tracer: trace.getTracer('noop'),
      dropped: () => ({}),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
  }
  const exporter = new OTLPTraceExporter({
    // An explicit --otlp-endpoint wins; otherwise the exporter reads the env itself.
    ...(opts.endpoint ? { url: tracesUrl(opts.endpoint) } : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? {} : { url: tracesUrl(endpoint) }),
    timeoutMillis: opts.exportTimeoutMs ?? 5000,
  });
  const processor = new BoundedBatchSpanProcessor(exporter, {
    maxQueueSize: opts.maxQueueSize,
    maxExportBatchSize: Math.min(512, opts.maxQueueSize),
    scheduledDelayMillis: opts.scheduledDelayMs ?? envMillis(env, 'OTEL_BSP_SCHEDULE_DELAY') ?? 1000,
    exportTimeoutMillis: opts.exportTimeoutMs ?? 5000,
  }, opts.onExportFailure);

  if (opts.provider === 'local') {
    // Per-instance provider, not registered globally: in-process tests run several agents, NodeSDK allows one per process.
    const provider = new BasicTracerProvider({ resource: opts.resource, spanProcessors: [processor] });
    return {
      enabled: true,
      kind: 'local',
      tracer: provider.getTracer(SCOPE_NAME, opts.version),
      dropped: () => processor.lost,
      forceFlush: () => provider.forceFlush(),
      shutdown: () => provider.shutdown(),
    };
  }

  if (liveSdk) {
    throw new Error('tracing: a NodeSDK already runs in this process (it registers global providers); pass provider: "local"');
  }
  const sdk = new NodeSDK({
    resource: opts.resource,
    // sdk-node's detectors (env, process, host; or $OTEL_NODE_RESOURCE_DETECTORS) merge over the agent's resource.
    autoDetectResources: true,
    spanProcessors: [processor],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  liveSdk = sdk;
  let shutdown: Promise<void> | undefined;
  return {
    enabled: true,
    kind: 'sdk',
    tracer: trace.getTracer(SCOPE_NAME, opts.version),
    dropped: () => processor.lost,
    forceFlush: () => processor.forceFlush(),
    shutdown: () => {
      shutdown ??= sdk.shutdown().finally(() => {
        // Hand the API back, so a later start in this process can register again.
        trace.disable();
        context.disable();
        propagation.disable();
        if (liveSdk === sdk) liveSdk = undefined;
      });
      return shutdown;
    },
  };
}

/**
 * Export failures as log lines at a bounded rate: the first at once, then
 * at most one per interval, saying how many failed (and how many spans
 * were lost) meanwhile. A collector that is down fails every batch; an
 * operator needs to know that, not to read it once a second.
 */
export function exportFailureLogger(
  warn: (fields: object, msg: string) => void,
  intervalMs = 60_000,
  now: () => number = Date.now,
): (f: ExportFailure) => void {
  let last = -Infinity;
  let failures = 0;
  let spans = 0;
  const byReason: Partial<Record<SpanLossReason, number>> = {};
  return (f) => {
    failures++;
    spans += f.spans;
    byReason[f.reason] = (byReason[f.reason] ?? 0) + f.spans;
    if (now() - last < intervalMs) return;
    last = now();
    warn({ err: f.error?.message, reason: f.reason, failures, spansLost: spans, byReason: { ...byReason } },
      `span export failed ${failures} time(s) since the last report; ${spans} span(s) lost (gdl_spans_dropped_total)`);
    failures = 0;
    spans = 0;
    for (const k of Object.keys(byReason)) delete byReason[k as SpanLossReason];
  };
}
