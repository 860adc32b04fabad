/**
 * CUDA allocations still alive, per process, from the uprobe event stream
 * (bpf/gdl_cuda.bpf.c). An allocation event with CUDA_SUCCESS adds its
 * pointer (or cuMemCreate handle) to its process; a successful free or
 * release of that pointer by the same process removes it. What is left when
 * a process exits is what it leaked.
 */
import type { CudaEvent, CudaOp, GdlEvent } from '../../../agent/src/events/types.ts';

const ALLOC_OPS: ReadonlySet<CudaOp> = new Set([
  'cuMemAlloc_v2', 'cuMemAllocManaged', 'cuMemAllocPitch_v2', 'cuMemAllocAsync', 'cuMemCreate',
]);

export interface LiveAllocation {
  op: CudaOp;
  size: bigint;
  tsNs: bigint;
}

export interface ProcessLeaks {
  pid: number;
  comm: string;
  count: number;
  bytes: bigint;
  /** pointer or handle -> what allocated it */
  live: Map<bigint, LiveAllocation>;
}

export class CudaLeakTracker {
  readonly #procs = new Map<number, ProcessLeaks>();
  /** frees of a pointer this tracker never saw allocated (attached late, or a bug) */
  unknownFrees = 0;

  observe(events: readonly GdlEvent[]): void {
    for (const ev of events) if (ev.type === 'cuda') this.#one(ev);
  }

  #one(ev: CudaEvent): void {
    if (ev.result !== 0) return; // a failed call changes nothing
    let p = this.#procs.get(ev.pid);
    if (ALLOC_OPS.has(ev.op)) {
      if (!p) {
        p = { pid: ev.pid, comm: ev.comm, count: 0, bytes: 0n, live: new Map() };
        this.#procs.set(ev.pid, p);
      }
      p.live.set(ev.ptr, { op: ev.op, size: ev.size, tsNs: ev.tsNs });
      p.count++;
      p.bytes += ev.size;
      return;
    }
    const a = p?.live.get(ev.ptr);
    if (!p || !a) {
      this.unknownFrees++;
      return;
    }
    p.live.delete(ev.ptr);
    p.count--;
    p.bytes -= a.size;
  }

  /** Processes with live allocations, biggest first. */
  leaks(): ProcessLeaks[] {
    return [...this.#procs.values()].filter((p) => p.count > 0).sort((a, b) => (b.bytes > a.bytes ? 1 : -1));
  }

  /** Forget a process (e.g. after it exited and was reported). */
  forget(pid: number): void {
    this.#procs.delete(pid);
  }
}
