/**
 * EventSource over the embedded core's in-process ring (gdlu_events_read).
 *
 * The core writes a record for every decision; a short timer drains the ring
 * in whole batches, so a burst of requests costs one decode per tick rather
 * than one callback per decision. The ring is bounded inside libgdlcore:
 * when the agent falls behind, records are dropped there and counted
 * (gdlu_events_lost), never queued without bound here.
 */
import type { GdlCore } from '../native/core.ts';
import { decodeRecords, newEventSourceStats } from './decode.ts';
import type { EventSource, EventSourceStats, GdlEvent } from './types.ts';

export interface EmbeddedSourceOptions {
  /** drain period in ms */
  intervalMs: number;
  /** bytes read per drain call; several calls per tick until the ring is empty */
  bufferBytes: number;
}

export class EmbeddedEventSource implements EventSource {
  private readonly counters: EventSourceStats = newEventSourceStats();
  private readonly buf: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private onBatch: ((events: GdlEvent[]) => void) | undefined;

  constructor(
    private readonly core: GdlCore,
    private readonly opts: EmbeddedSourceOptions = { intervalMs: 20, bufferBytes: 64 * 1024 },
  ) {
    this.buf = Buffer.alloc(opts.bufferBytes);
  }

  start(onBatch: (events: GdlEvent[]) => void): void {
    if (this.timer) throw new Error('event source already started');
    this.onBatch = onBatch;
    this.timer = setInterval(() => this.drain(), this.opts.intervalMs);
    // Draining must never keep the process alive on its own.
    this.timer.unref();
  }

  /** Reads everything the ring holds now and delivers it as one batch. */
  drain(): void {
    const events: GdlEvent[] = [];
    for (;;) {
      const n = this.core.eventsRead(this.buf);
      if (n === 0) break;
      events.push(...decodeRecords(this.buf.subarray(0, n), this.counters));
      if (n < this.buf.length / 2) break; // the ring is (nearly) empty: wait for the next tick
    }
    this.counters.lost = Number(this.core.eventsLost());
    if (events.length > 0) this.onBatch?.(events);
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
