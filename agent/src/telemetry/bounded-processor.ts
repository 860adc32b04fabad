/**
 * A BatchSpanProcessor whose queue bound is enforced and whose losses are
 * counted by reason, so gdl_spans_dropped_total{reason} tells an operator
 * every span that never reached the collector:
 *
 * - queue_full: handed over while the bound was reached (a slow or absent
 *   collector); this wrapper counts spans queued or in flight and drops
 *   past the bound itself, so memory stays bounded and nothing blocks;
 * - export_failed: the exporter gave up (connection refused, HTTP error);
 * - export_timeout: the export timed out (a collector that hangs), or never
 *   called back at all, which this wrapper notices on its own timer;
 * - shutdown: still queued when the processor shut down.
 *
 * Every failed export is reported to onExportFailure (tracing.ts logs them
 * at a bounded rate).
 */
import type { Context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor, type BufferConfig, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { SpanLoss } from './names.ts';

// ExportResultCode of @opentelemetry/core (a transitive dependency: only its types are imported).
const ExportResultCode = { SUCCESS: 0, FAILED: 1 } as const;

export type SpanLossReason = (typeof SpanLoss)[keyof typeof SpanLoss];

export interface ExportFailure {
  reason: SpanLossReason;
  spans: number;
  error: Error | undefined;
}

class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly guardMs: number,
    private readonly settled: (n: number, failure?: ExportFailure) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let once = false;
    const settle = (result: ExportResult, timedOut: boolean) => {
      if (once) return;
      once = true;
      clearTimeout(guard);
      if (result.code === ExportResultCode.SUCCESS) this.settled(spans.length);
      else {
        const timeout = timedOut || /time(d)? ?out/i.test(result.error?.message ?? '');
        this.settled(spans.length, { reason: timeout ? SpanLoss.exportTimeout : SpanLoss.exportFailed, spans: spans.length, error: result.error });
      }
      done(result);
    };
    // An exporter that never calls back would hold these spans as pending forever.
    const guard = setTimeout(() => settle({ code: ExportResultCode.FAILED, error: new Error(`export did not finish within ${this.guardMs} ms`) }, true), this.guardMs);
    guard.unref();
    try {
      this.inner.export(spans, (result) => settle(result, false));
    } catch (err) {
      settle({ code: ExportResultCode.FAILED, error: err as Error }, false);
    }
  }
  shutdown(): Promise<void> { return this.inner.shutdown(); }
  forceFlush(): Promise<void> { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor;
  private readonly bound: number;
  private pending = 0;
  private readonly lostBy: Record<SpanLossReason, number> = { queue_full: 0, export_failed: 0, export_timeout: 0, shutdown: 0 };

  constructor(
    exporter: SpanExporter,
    config: BufferConfig & { maxQueueSize: number },
    onExportFailure: (f: ExportFailure) => void = () => {},
  ) {
    this.bound = config.maxQueueSize;
    // Just past the batch processor's own export timeout, after which it has given up on the export.
    const guardMs = (config.exportTimeoutMillis ?? 30_000) + 50;
    this.inner = new BatchSpanProcessor(
      new CountingExporter(exporter, guardMs, (n, failure) => {
        this.pending = Math.max(0, this.pending - n);
        if (failure) {
          this.lostBy[failure.reason] += n;
          onExportFailure(failure);
        }
      }),
      config,
    );
  }

  /** spans lost so far, every reason */
  get dropped(): number {
    return Object.values(this.lostBy).reduce((a, b) => a + b, 0);
  }

  /** spans lost so far, by reason */
  get lost(): Readonly<Record<SpanLossReason, number>> {
    return this.lostBy;
  }

  onStart(span: Span, ctx: Context): void {
    this.inner.onStart(span, ctx);
  }

  onEnd(span: ReadableSpan): void {
    if (!span.spanContext().traceFlags) return; // unsampled: the inner processor ignores it too
    if (this.pending >= this.bound) {
      this.lostBy.queue_full++;
      return;
    }
    this.pending++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> { return this.inner.forceFlush(); }

  async shutdown(): Promise<void> {
    try {
      await this.inner.shutdown();
    } finally {
      // What the final flush could not send (or settle) is lost with the process.
      this.lostBy.shutdown += this.pending;
      this.pending = 0;
    }
  }
}
