/**
 * An EventSource fed by the agent itself: when the kernel backend runs
 * without the BPF pipeline, the decisions the agent asks the module for
 * (through its API or policy) are still observed, so a denial or quota
 * violation requested over HTTP still becomes a span. Decisions other
 * processes ask the module for are only visible through BPF.
 *
 * Bounded like every other source: past `capacity` pending events new ones
 * are dropped and counted as lost.
 */
import { PolledEventSource } from './polled-source.ts';
import type { DecisionEvent, GdlEvent } from './types.ts';

export class ApiEventSource extends PolledEventSource {
  private pending: GdlEvent[] = [];

  constructor(private readonly capacity = 65536, intervalMs = 20) {
    super(intervalMs);
  }

  /** Records one decision the agent made the core take. */
  push(e: Omit<DecisionEvent, 'type' | 'tsNs' | 'cpu' | 'pid' | 'tid' | 'cgroupId' | 'comm'>): void {
    if (!this.onBatch) return; // not started: nobody would read it
    if (this.pending.length >= this.capacity) {
      this.counters.lost++;
      return;
    }
    this.pending.push({
      type: 'decision', tsNs: process.hrtime.bigint(), cpu: 0, pid: process.pid, tid: process.pid,
      cgroupId: 0n, comm: process.title.slice(0, 15), ...e,
    });
  }

  drain(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.counters.received += batch.length;
    this.onBatch?.(batch);
  }
}
