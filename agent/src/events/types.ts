/**
 * The one event model of gpu-dma-lock, whatever the source: the kernel's BPF
 * ring (bpf/gdl_module.bpf.c, bpf/gdl_cuda.bpf.c) or the embedded core's
 * in-process ring (libgdlcore). Records are defined in kmod/include/uapi/gdl_events.h and
 * decoded by ./decode.ts.
 *
 * 64-bit quantities stay bigint: agent ids, addresses and sizes use the whole
 * range and must not lose precision on their way to a span or a metric.
 */

import type { CUDA_OPS, DECISION_KINDS } from '../native/abi.gen.ts';

/** struct gdl_decision.kind (enum gdl_decision_kind), as names: GDL_DECISION_KINDS of the UAPI header. */
export type DecisionKind = (typeof DECISION_KINDS)[keyof typeof DECISION_KINDS];

/** Who caused an event (filled by the BPF program or the embedded ring). */
export interface EventCaller {
  /** process id (the kernel's tgid) */
  pid: number;
  /** thread id (the kernel's pid) */
  tid: number;
  cgroupId: bigint;
  comm: string;
}

/** struct gdl_ev_decision */
export interface DecisionEvent extends EventCaller {
  type: 'decision';
  kind: DecisionKind;
  tsNs: bigint;
  cpu: number;
  agentId: bigint;
  device: number;
  allocId: bigint;
  addr: bigint;
  /** range length, or allocation size for alloc/free kinds */
  length: bigint;
  mode: number;
  /** 0 or a negative errno */
  result: number;
  used: bigint;
  quota: bigint;
}

/** struct gdl_ev_cuda.op (enum gdl_cuda_op), as the driver function it stands for: GDL_CUDA_EVENT_OPS of the event header. */
export type CudaOp = (typeof CUDA_OPS)[keyof typeof CUDA_OPS];

/** struct gdl_ev_cuda */
export interface CudaEvent extends EventCaller {
  type: 'cuda';
  op: CudaOp;
  tsNs: bigint;
  cpu: number;
  /** CUresult, 0 is CUDA_SUCCESS */
  result: number;
  ptr: bigint;
  size: bigint;
  latencyNs: bigint;
}

export type GdlEvent = DecisionEvent | CudaEvent;

/** Counters every event source keeps; nothing is dropped without a count. */
export interface EventSourceStats {
  /** records decoded into events */
  received: number;
  /** records the producer could not store (BPF reserve failures, full embedded ring) */
  lost: number;
  /** records of a kind this decoder does not know, skipped */
  unknown: number;
  /** records shorter than their kind's struct, skipped */
  short: number;
}

/**
 * A stream of events delivered in batches (never one callback per record on
 * the hot path). Implemented by the BPF ring consumer (kernel backend) and by
 * the embedded core's ring.
 */
export interface EventSource {
  start(onBatch: (events: GdlEvent[]) => void): void;
  stop(): Promise<void>;
  stats(): EventSourceStats;
}
