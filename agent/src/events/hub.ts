/**
 * Fans one EventSource out to its consumers (spans, the SSE stream). The
 * source delivers batches; each subscriber gets the same batch. A consumer
 * that throws is logged and keeps its subscription: one bad consumer must
 * not stop the others or the source.
 */
import type { EventSource, EventSourceStats, GdlEvent } from './types.ts';

export type BatchListener = (events: readonly GdlEvent[]) => void;

export class EventHub {
  private readonly listeners = new Set<BatchListener>();
  private started = false;

  constructor(private readonly source: EventSource | null, private readonly onError: (err: unknown) => void = () => {}) {}

  get available(): boolean {
    return this.source !== null;
  }

  start(): void {
    if (!this.source || this.started) return;
    this.started = true;
    this.source.start((events) => {
      for (const l of this.listeners) {
        try {
          l(events);
        } catch (err) {
          this.onError(err);
        }
      }
    });
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): EventSourceStats | null {
    return this.source?.stats() ?? null;
  }

  async stop(): Promise<void> {
    if (this.source && this.started) await this.source.stop();
    this.started = false;
    this.listeners.clear();
  }
}
