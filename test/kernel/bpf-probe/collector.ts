/**
 * What bpf-probe keeps of the event stream: counts per kind or op, CUDA
 * leaks, and (unless --count-only) every event, with the time its handler
 * took; and the checks run on the kept events afterwards.
 */
import type { GdlEvent } from '../../../agent/src/events/types.ts';
import { CudaLeakTracker } from './cuda-leaks.ts';

export class Collector {
  readonly events: GdlEvent[] = [];
  readonly byType: Record<string, number> = {};
  readonly leaks = new CudaLeakTracker();
  batches = 0;
  received = 0;
  handlerNs = 0n;

  constructor(private readonly keep: boolean) {}

  /** The ring consumer's batch handler. */
  readonly onBatch = (batch: GdlEvent[]): void => {
    this.batches++;
    this.received += batch.length;
    const t0 = process.hrtime.bigint();
    for (const ev of batch) {
      const k = ev.type === 'decision' ? ev.kind : ev.op;
      this.byType[k] = (this.byType[k] ?? 0) + 1;
    }
    this.leaks.observe(batch);
    if (this.keep) for (const ev of batch) this.events.push(ev);
    this.handlerNs += process.hrtime.bigint() - t0;
  };

  /** Ring order is reservation order: per CPU it must follow time. */
  perCpuOrder(): { ordered: boolean; cpus: number[] } {
    const lastTs = new Map<number, bigint>();
    let ordered = true;
    for (const ev of this.events) {
      if ((lastTs.get(ev.cpu) ?? 0n) > ev.tsNs) ordered = false;
      lastTs.set(ev.cpu, ev.tsNs);
    }
    return { ordered, cpus: [...lastTs.keys()].sort() };
  }

  cgroupIds(): string[] {
    return [...new Set(this.events.map((e) => e.cgroupId.toString()))];
  }

  /** The kept events in time order (what --lines writes). */
  byTime(): GdlEvent[] {
    return [...this.events].sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  }

  leakReport() {
    return this.leaks.leaks().map((p) => ({
      pid: p.pid, comm: p.comm, count: p.count, bytes: p.bytes.toString(),
      ptrs: [...p.live.keys()].map((k) => `0x${k.toString(16)}`),
    }));
  }
}
