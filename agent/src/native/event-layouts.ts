/**
 * TypeScript mirror of the event records in bpf/gdl_events.h (and the
 * decision record of kmod/include/uapi/gpu_dma_lock.h it embeds).
 *
 * The decoder reads fields at these offsets; test/unit/events-layout.test.ts
 * compiles test/layout/event_layouts.c and checks every size, offset and
 * constant here against what the C compiler says, so a change to the C side
 * that is not mirrored here fails a test instead of corrupting events.
 */

export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

/** struct gdl_event_hdr */
export const EVENT_HDR = {
  size: 16,
  fields: {
    kind: { offset: 0, size: 2 },
    size: { offset: 2, size: 2 },
    cpu: { offset: 4, size: 4 },
    ts_ns: { offset: 8, size: 8 },
  },
} as const satisfies StructLayout;

/** struct gdl_ev_decision */
export const EV_DECISION = {
  size: 120,
  fields: {
    hdr: { offset: 0, size: 16 },
    'd.kind': { offset: 16, size: 4 },
    'd.device': { offset: 20, size: 4 },
    'd.agent_id': { offset: 24, size: 8 },
    'd.alloc_id': { offset: 32, size: 8 },
    'd.addr': { offset: 40, size: 8 },
    'd.length': { offset: 48, size: 8 },
    'd.mode': { offset: 56, size: 4 },
    'd.result': { offset: 60, size: 4 },
    'd.used': { offset: 64, size: 8 },
    'd.quota': { offset: 72, size: 8 },
    'd.cgroup_id': { offset: 80, size: 8 },
    pid: { offset: 88, size: 4 },
    tgid: { offset: 92, size: 4 },
    cgroup_id: { offset: 96, size: 8 },
    comm: { offset: 104, size: 16 },
  },
} as const satisfies StructLayout;

/** struct gdl_ev_cuda */
export const EV_CUDA = {
  size: 80,
  fields: {
    hdr: { offset: 0, size: 16 },
    op: { offset: 16, size: 4 },
    result: { offset: 20, size: 4 },
    ptr: { offset: 24, size: 8 },
    size: { offset: 32, size: 8 },
    latency_ns: { offset: 40, size: 8 },
    pid: { offset: 48, size: 4 },
    tgid: { offset: 52, size: 4 },
    cgroup_id: { offset: 56, size: 8 },
    comm: { offset: 64, size: 16 },
  },
} as const satisfies StructLayout;

/** Every mirrored struct, by its C name (what event_layouts.c prints). */
export const EVENT_STRUCTS: Readonly<Record<string, StructLayout>> = {
  gdl_event_hdr: EVENT_HDR,
  gdl_ev_decision: EV_DECISION,
  gdl_ev_cuda: EV_CUDA,
};

/** Enum values and sizes from the C headers, by their C names. */
export const EVENT_CONSTANTS = {
  GDL_COMM_LEN: 16,
  GDL_EV_DECISION: 1,
  GDL_EV_CUDA: 2,
  GDL_DEC_ALLOC: 1,
  GDL_DEC_ALLOC_FAIL: 2,
  GDL_DEC_QUOTA_VIOLATION: 3,
  GDL_DEC_FREE: 4,
  GDL_DEC_CHECK: 5,
  GDL_DEC_DENY: 6,
  GDL_DEC_GRANT: 7,
  GDL_DEC_REVOKE: 8,
  GDL_DEC_KIND_MAX: 8,
  GDL_CUDA_MEM_ALLOC: 1,
  GDL_CUDA_MEM_ALLOC_MANAGED: 2,
  GDL_CUDA_MEM_ALLOC_PITCH: 3,
  GDL_CUDA_MEM_ALLOC_ASYNC: 4,
  GDL_CUDA_MEM_CREATE: 5,
  GDL_CUDA_MEM_FREE: 6,
  GDL_CUDA_MEM_FREE_ASYNC: 7,
  GDL_CUDA_MEM_RELEASE: 8,
  GDL_CUDA_OP_MAX: 8,
  GDL_CTR_LOST: 0,
  GDL_CTR_SAMPLED_OUT: 1,
  GDL_CTR_FILTERED: 2,
  GDL_CTR_SEEN: 3,
  GDL_CTR_MAX: 4,
} as const;
