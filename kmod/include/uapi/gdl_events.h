/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gdl_events.h - records in gpu-dma-lock's event ring
 *
 * The event ABI, kept beside the ioctl ABI (gpu_dma_lock.h) it embeds.
 * Written by the BPF programs (bpf/<name>.bpf.c) and the embedded core's
 * in-process ring (kmod/user/), read by the C test tools and, through the
 * mirror generated from the compiler (agent/src/native/abi.gen.ts by
 * scripts/gen-abi.ts), by the agent's TypeScript decoder.
 *
 * Every record starts with struct gdl_event_hdr; @size is the whole
 * record's size, so a reader can skip kinds it does not know.  Bodies are
 * fixed and explicitly padded: no implicit holes, 8-byte aligned.
 */
#ifndef GDL_EVENTS_H
#define GDL_EVENTS_H

#include "gpu_dma_lock.h"

#define GDL_COMM_LEN 16

enum gdl_event_kind {
	GDL_EV_DECISION = 1,	/* struct gdl_ev_decision */
	GDL_EV_CUDA = 2,	/* struct gdl_ev_cuda */
	GDL_EV_BATCH = 3,	/* struct gdl_ev_batch */
};

/**
 * struct gdl_event_hdr - first 16 bytes of every record
 * @kind:  enum gdl_event_kind
 * @size:  bytes of the whole record, header included
 * @cpu:   CPU the event was produced on
 * @ts_ns: CLOCK_MONOTONIC (bpf_ktime_get_ns) when produced
 */
struct gdl_event_hdr {
	__u16 kind;
	__u16 size;
	__u32 cpu;
	__u64 ts_ns;
};

/**
 * struct gdl_ev_decision - one module decision (any tracepoint)
 * @hdr:       kind GDL_EV_DECISION
 * @d:         the tracepoint's record, copied as is
 * @tid:       thread id of the caller
 * @pid:       process id (tgid) of the caller
 * @cgroup_id: cgroup v2 id of the caller: @d.cgroup_id, as the module
 *             stamped it (0 outside task context)
 * @comm:      caller's comm, NUL-padded
 */
struct gdl_ev_decision {
	struct gdl_event_hdr hdr;
	struct gdl_decision d;
	__u32 tid;
	__u32 pid;
	__u64 cgroup_id;
	char comm[GDL_COMM_LEN];
};

/* Most decisions one struct gdl_ev_batch carries. */
#define GDL_BATCH_EVENTS 128

/**
 * struct gdl_ev_batch - decisions the module gathered on one CPU
 * @hdr:     kind GDL_EV_BATCH; @size covers the header, @count, @dropped
 *           and the @count events (the ring's record may be longer)
 * @count:   decisions in @ev, 1..GDL_BATCH_EVENTS
 * @dropped: decisions the module could not gather on this CPU since its
 *           last batch (made in NMI context)
 * @ev:      each a whole struct gdl_ev_decision, as the per-decision
 *           programs write it
 *
 * The module gathers every decision into a per-CPU batch while its
 * gdl_batch event is on, and fires the event when the batch is full, when
 * a short timer runs out, and when the last program leaves it
 * (kmod/gdl_batch.c); bpf/gdl_batch.bpf.c copies the batch into the ring.
 */
struct gdl_ev_batch {
	struct gdl_event_hdr hdr;
	__u32 count;
	__u32 dropped;
	struct gdl_ev_decision ev[GDL_BATCH_EVENTS];
};

/*
 * GDL_CUDA_EVENT_OPS(X) - every CUDA driver call a struct gdl_ev_cuda can
 * report, once.  X(OP, value, function, args): OP names the enum constant
 * GDL_CUDA_<OP>, @function the driver call it stands for (the name the agent
 * prints), @args where that call's arguments are, for its uprobe:
 *   ALLOC  CUresult f(T *out, size_t size, ...)
 *   PITCH  CUresult f(CUdeviceptr *out, size_t *pitch, size_t width,
 *                     size_t height, ...)   the size asked is width x height
 *   FREE   CUresult f(T ptr_or_handle, ...)
 * Users: the enum below, the uprobes (cuda/gdl_cuda_ops.h GDL_CUDA_PROBE,
 * bpf/gdl_cuda.bpf.c; a function's _ptsz and pool variants report its op)
 * and the agent's generated names (CUDA_OPS in agent/src/native/abi.gen.ts,
 * scripts/gen-abi.ts).  Values are ABI: append.
 */
#define GDL_CUDA_EVENT_OPS(X)						\
	X(MEM_ALLOC,		1, cuMemAlloc_v2,	ALLOC)			\
	X(MEM_ALLOC_MANAGED,	2, cuMemAllocManaged,	ALLOC)			\
	X(MEM_ALLOC_PITCH,	3, cuMemAllocPitch_v2,	PITCH)			\
	X(MEM_ALLOC_ASYNC,	4, cuMemAllocAsync,	ALLOC)			\
	X(MEM_CREATE,		5, cuMemCreate,		ALLOC)			\
	X(MEM_FREE,		6, cuMemFree_v2,	FREE)			\
	X(MEM_FREE_ASYNC,	7, cuMemFreeAsync,	FREE)			\
	X(MEM_RELEASE,		8, cuMemRelease,	FREE)

#define GDL_CUDA_ENUM_(op, value, function, args)	GDL_CUDA_##op = value,
enum gdl_cuda_op {
	GDL_CUDA_EVENT_OPS(GDL_CUDA_ENUM_)
	GDL_CUDA_OP_MAX = 8,
};
#undef GDL_CUDA_ENUM_

/**
 * struct gdl_ev_cuda - one CUDA allocation or free, at its return
 * @hdr:       kind GDL_EV_CUDA
 * @op:        enum gdl_cuda_op
 * @result:    the call's CUresult (0 is CUDA_SUCCESS)
 * @ptr:       device pointer (alloc: the one returned; free: the argument),
 *             or the generic allocation handle for cuMemCreate/cuMemRelease
 * @size:      bytes asked for (pitch allocations: width * height), 0 for frees
 * @latency_ns: time from entry to return
 * @tid:       thread id of the caller
 * @pid:       process id (tgid) of the caller
 * @cgroup_id: cgroup v2 id of the caller
 * @comm:      caller's comm, NUL-padded
 */
struct gdl_ev_cuda {
	struct gdl_event_hdr hdr;
	__u32 op;
	__s32 result;
	__u64 ptr;
	__u64 size;
	__u64 latency_ns;
	__u32 tid;
	__u32 pid;
	__u64 cgroup_id;
	char comm[GDL_COMM_LEN];
};

/*
 * Slots of the per-CPU array map "counters" that every BPF object of ours
 * keeps (appended; userspace sums each slot over all possible CPUs).  Every
 * record a program was asked to produce ends up in exactly one of: the
 * ring (received by the consumer), LOST, SAMPLED_OUT or FILTERED, so
 *   seen = received + lost + sampled_out + filtered
 * holds exactly once the ring is drained.
 */
enum gdl_bpf_counter {
	GDL_CTR_LOST = 0,	/* bpf_ringbuf_reserve() failed: ring full */
	GDL_CTR_SAMPLED_OUT = 1, /* allowed DMA checks skipped by sample_every */
	GDL_CTR_FILTERED = 2,	/* skipped by filter_agent / filter_cgroup */
	GDL_CTR_SEEN = 3,	/* every event the programs were called for */
	GDL_CTR_MAX = 4,
};

#endif /* GDL_EVENTS_H */
