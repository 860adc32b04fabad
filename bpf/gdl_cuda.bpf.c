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
 * SEC("uprobe") without a target: the loader attaches each program to the
 * library it is given (bpf_program__attach_uprobe_opts with func_name).
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
	ev->pid = tid;
	ev->tgid = id >> 32;
	ev->cgroup_id = cgroup_id;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
	bpf_map_delete_elem(&calls, &tid);
	return 0;
}

/* CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) */
SEC("uprobe")
int BPF_KPROBE(cu_mem_alloc, void *dptr, __u64 bytesize)
{
	return enter(GDL_CUDA_MEM_ALLOC, (__u64)dptr, 0, bytesize);
}

/* CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned flags) */
SEC("uprobe")
int BPF_KPROBE(cu_mem_alloc_managed, void *dptr, __u64 bytesize)
{
	return enter(GDL_CUDA_MEM_ALLOC_MANAGED, (__u64)dptr, 0, bytesize);
}

/*
 * CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch,
 *                             size_t WidthInBytes, size_t Height,
 *                             unsigned ElementSizeBytes)
 * The size asked for is width * height; the driver may pad rows (pPitch).
 */
SEC("uprobe")
int BPF_KPROBE(cu_mem_alloc_pitch, void *dptr, void *pitch, __u64 width,
	       __u64 height)
{
	return enter(GDL_CUDA_MEM_ALLOC_PITCH, (__u64)dptr, 0, width * height);
}

/* CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream s) */
SEC("uprobe")
int BPF_KPROBE(cu_mem_alloc_async, void *dptr, __u64 bytesize)
{
	return enter(GDL_CUDA_MEM_ALLOC_ASYNC, (__u64)dptr, 0, bytesize);
}

/*
 * CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
 *                      const CUmemAllocationProp *prop,
 *                      unsigned long long flags)
 */
SEC("uprobe")
int BPF_KPROBE(cu_mem_create, void *handle, __u64 size)
{
	return enter(GDL_CUDA_MEM_CREATE, (__u64)handle, 0, size);
}

/* CUresult cuMemFree_v2(CUdeviceptr dptr) */
SEC("uprobe")
int BPF_KPROBE(cu_mem_free, __u64 dptr)
{
	return enter(GDL_CUDA_MEM_FREE, 0, dptr, 0);
}

/* CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) */
SEC("uprobe")
int BPF_KPROBE(cu_mem_free_async, __u64 dptr)
{
	return enter(GDL_CUDA_MEM_FREE_ASYNC, 0, dptr, 0);
}

/* CUresult cuMemRelease(CUmemGenericAllocationHandle handle) */
SEC("uprobe")
int BPF_KPROBE(cu_mem_release, __u64 handle)
{
	return enter(GDL_CUDA_MEM_RELEASE, 0, handle, 0);
}

/* One return probe serves all eight: the stashed op says which call it was. */
SEC("uretprobe")
int BPF_KRETPROBE(cu_ret)
{
	return leave(ctx);
}
