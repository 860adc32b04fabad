/**
 * A BatchSpanProcessor whose queue bound is enforced and whose drops are
 * counted, so gdl_spans_dropped_total tells an operator when the collector
 * cannot keep up.
 *
 * BatchSpanProcessor already drops past maxQueueSize but only logs it. This
 * wrapper counts spans handed over and not yet exported (queued or in
 * flight) and drops beyond the bound itself, before the inner processor
 * would: a down or slow collector costs a bounded amount of memory and
 * never blocks the agent.
 */
import type { Context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor, type BufferConfig, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

class CountingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter, private readonly settled: (n: number) => void) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let once = false;
    this.inner.export(spans, (result) => {
      if (!once) this.settled(spans.length);
      once = true;
      done(result);
    });
  }
  shutdown(): Promise<void> { return this.inner.shutdown(); }
  forceFlush(): Promise<void> { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor;
  private readonly bound: number;
  private pending = 0;
  private droppedCount = 0;

  constructor(exporter: SpanExporter, config: BufferConfig & { maxQueueSize: number }) {
    this.bound = config.maxQueueSize;
    this.inner = new BatchSpanProcessor(
      new CountingExporter(exporter, (n) => { this.pending = Math.max(0, this.pending - n); }),
      config,
    );
  }

  /** spans dropped because the queue was full */
  get dropped(): number {
    return this.droppedCount;
  }

  onStart(span: Span, ctx: Context): void {
    this.inner.onStart(span, ctx);
  }

  onEnd(span: ReadableSpan): void {
    if (!span.spanContext().traceFlags) return; // unsampled: the inner processor ignores it too
    if (this.pending >= this.bound) {
      this.droppedCount++;
      return;
    }
    this.pending++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> { return this.inner.forceFlush(); }
  shutdown(): Promise<void> { return this.inner.shutdown(); }
}
