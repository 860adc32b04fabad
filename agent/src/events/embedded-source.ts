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
import { decodeRecords } from './decode.ts';
import { PolledEventSource } from './polled-source.ts';
import type { GdlEvent } from './types.ts';

export interface EmbeddedSourceOptions {
  /** drain period in ms */
  intervalMs: number;
  /** bytes read per drain call; several calls per tick until the ring is empty */
  bufferBytes: number;
}

export class EmbeddedEventSource extends PolledEventSource {
  private readonly buf: Buffer;

  constructor(
    private readonly core: GdlCore,
    opts: EmbeddedSourceOptions = { intervalMs: 20, bufferBytes: 64 * 1024 },
  ) {
    super(opts.intervalMs);
    this.buf = Buffer.alloc(opts.bufferBytes);
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
}
