/**
 * The part the event sources a timer drains have in common (the embedded
 * core's ring, the agent's own decisions): start a timer that never keeps
 * the process alive, deliver what is left on stop, count what was seen.
 */
import { newEventSourceStats } from './decode.ts';
import type { EventSource, EventSourceStats, GdlEvent } from './types.ts';

export abstract class PolledEventSource implements EventSource {
  protected readonly counters: EventSourceStats = newEventSourceStats();
  /** where batches go; undefined before start and after stop */
  protected onBatch: ((events: GdlEvent[]) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  /** Delivers everything that arrived since the last call, as one batch. */
  abstract drain(): void;

  start(onBatch: (events: GdlEvent[]) => void): void {
    if (this.timer) throw new Error('event source already started');
    this.onBatch = onBatch;
    this.timer = setInterval(() => this.drain(), this.intervalMs);
    // Draining must never keep the process alive on its own.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.drain();
    this.onBatch = undefined;
  }

  stats(): EventSourceStats {
    return { ...this.counters };
  }
}
