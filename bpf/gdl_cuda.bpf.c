// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda.bpf.c - CUDA driver allocations and frees into the event ring
 *
 * A uprobe at each function's entry stashes its arguments by thread id; the
 * uretprobe at its return reads the CUresult and, for allocations, the
 * device pointer (or generic handle) the driver stored through the
 * out-pointer, then emits one struct gdl_ev_cuda.  Entry and return run on
 * the same thread, and these driver entry points do not call one another,
 * so one slot per thread is enough.
 *
 * SEC("uprobe") without a target: the loader attaches each entry program to
 * the function of its own name in the library it is given
 * (bpf_program__attach_uprobe_opts with func_name).
 */
#include "gdl_common.bpf.h"

/* What the entry probe saw, until the return probe runs. */
struct cuda_call {
	__u64 start_ns;
	__u64 out;	/* user address the result is written to, or 0 */
	__u64 ptr;	/* frees: the pointer or handle being released */
	__u64 size;
	__u32 op;	/* enum gdl_cuda_op */
	__u32 pad;
};

/* LRU: a thread that dies inside a call must not leak a slot forever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct cuda_call);
} calls SEC(".maps");

static __always_inline int enter(__u32 op, __u64 out, __u64 ptr, __u64 size)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cuda_call call = {
		.start_ns = bpf_ktime_get_ns(),
		.out = out,
		.ptr = ptr,
		.size = size,
		.op = op,
	};

	if (!cgroup_wanted(bpf_get_current_cgroup_id()))
		return 0;	/* counted once, at return */
	bpf_map_update_elem(&calls, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int leave(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct cuda_call *call;
	struct gdl_ev_cuda *ev;
	__u64 cgroup_id, ptr;
	__s32 result;

	count(GDL_CTR_SEEN);
	cgroup_id = bpf_get_current_cgroup_id();
	call = bpf_map_lookup_elem(&calls, &tid);
	if (!call) {
		/* Entry filtered out, or entry probe attached mid-call. */
		count(GDL_CTR_FILTERED);
		return 0;
	}
	result = (__s32)PT_REGS_RC(ctx);
	ptr = call->ptr;
	/* The out-pointer only holds a value when the call succeeded. */
	if (call->out && result == 0 &&
	    bpf_probe_read_user(&ptr, sizeof(ptr), (void *)call->out))
		ptr = 0;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(GDL_CTR_LOST);
		bpf_map_delete_elem(&calls, &tid);
		return 0;
	}
	fill_hdr(&ev->hdr, GDL_EV_CUDA, sizeof(*ev));
	ev->op = call->op;
	ev->result = result;
	ev->ptr = ptr;
	ev->size = call->size;
	ev->latency_ns = ev->hdr.ts_ns - call->start_ns;
	ev->tid = tid;
	ev->pid = id >> 32;
	ev->cgroup_id = cgroup_id;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
	bpf_map_delete_elem(&calls, &tid);
	return 0;
}

/*
 * One entry program per probed function, named after it, from the one list
 * (cuda/gdl_cuda_ops.h, GDL_CUDA_PROBE).  Each argument layout (ALLOC,
 * PITCH, FREE: uapi/gdl_events.h, GDL_CUDA_EVENT_OPS) says where the
 * out-pointer, size and freed pointer are.
 */
#define PROBE_ALLOC(op) enter(op, a0, 0, a1)
#define PROBE_PITCH(op) enter(op, a0, 0, a2 * a3)
#define PROBE_FREE(op) enter(op, 0, a0, 0)
#define GDL_CUDA_PROBE(name, op, layout)                                   \
	SEC("uprobe")                                                      \
	int BPF_KPROBE(name, __u64 a0, __u64 a1, __u64 a2, __u64 a3)       \
	{                                                                  \
		return PROBE_##layout(op);                                 \
	}
#include "../cuda/gdl_cuda_ops.h"
#undef GDL_CUDA_PROBE

/* One return probe serves them all: the stashed op says which call it was. */
SEC("uretprobe")
int BPF_KRETPROBE(cu_ret)
{
	return leave(ctx);
}
