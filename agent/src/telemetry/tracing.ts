/**
 * Traces: module decisions become spans exported over OTLP/HTTP protobuf.
 *
 * The provider is built explicitly and not registered globally: the agent
 * traces its own decisions, not every library call, and a test may run
 * several agents in one process. The OTLP exporter still honours the
 * standard OTEL_EXPORTER_OTLP_* variables (headers, timeout, compression,
 * endpoint when --otlp-endpoint is not given), the batch processor honours
 * OTEL_BSP_*, and OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none turn tracing
 * off.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { BoundedBatchSpanProcessor } from './bounded-processor.ts';
import { SCOPE_NAME } from './names.ts';

export interface TracingOptions {
  /** base OTLP/HTTP endpoint (http://host:4318) or the full .../v1/traces URL */
  endpoint: string | undefined;
  resource: Resource;
  version: string;
  maxQueueSize: number;
  /** give up on one export after this long (default 5000 ms) */
  exportTimeoutMs?: number;
  /** how long spans wait to be batched (default 1000 ms) */
  scheduledDelayMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** spans dropped on a full queue */
  dropped(): number;
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

export function createTracing(opts: TracingOptions): Tracing {
  const env = opts.env ?? process.env;
  const disabled = env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none';
  const endpoint = opts.endpoint ?? envEndpoint(env);
  if (disabled || !endpoint) {
    // No collector configured: spans are not even built.
    return {
      enabled: false,
      tracer: trace.getTracer('noop'),
      dropped: () => 0,
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
    scheduledDelayMillis: opts.scheduledDelayMs ?? 1000,
    exportTimeoutMillis: opts.exportTimeoutMs ?? 5000,
  });
  const provider = new BasicTracerProvider({ resource: opts.resource, spanProcessors: [processor] });
  return {
    enabled: true,
    tracer: provider.getTracer(SCOPE_NAME, opts.version),
    dropped: () => processor.dropped,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
