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
  private failed: Error | undefined;

  constructor(private readonly source: EventSource | null, private readonly onError: (err: unknown) => void = () => {}) {}

  /** Whether events flow: there is a source and it started. */
  get available(): boolean {
    return this.source !== null && !this.failed;
  }

  /** Why the source could not start, if it could not. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /**
   * Starts the source. A source that cannot start (BPF refused by the
   * kernel) leaves the agent running without events: governance does not
   * depend on observing it.
   */
  start(): void {
    if (!this.source || this.started || this.failed) return;
    try {
      this.source.start((events) => {
        for (const l of this.listeners) {
          try {
            l(events);
          } catch (err) {
            this.onError(err);
          }
        }
      });
      this.started = true;
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): EventSourceStats | null {
    return this.available ? this.source!.stats() : null;
  }

  async stop(): Promise<void> {
    if (this.source && this.started) await this.source.stop();
    this.started = false;
    this.listeners.clear();
  }
}
