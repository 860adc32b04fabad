/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gdl_common.bpf.h - what every gpu-dma-lock BPF object shares: the event
 * ring, the per-CPU counters, the caller identity and the filters.
 *
 * Included by exactly one .bpf.c per object, so each object gets its own
 * "events" and "counters" maps.  A loader that wants one ring for both
 * objects loads gdl_module first and hands its map fds to gdl_cuda with
 * bpf_map__reuse_fd() before loading it (agent/src/events/kernel-source.ts).
 */
#ifndef GDL_COMMON_BPF_H
#define GDL_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "uapi/gdl_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Tunables, fixed before load (they live in .rodata, so the verifier sees
 * them as constants and prunes the branches they turn off).  0 disables the
 * filter: otherwise only callers in this cgroup v2 id are reported.
 */
const volatile __u64 filter_cgroup = 0;

/* 256 KiB by default; the loader may resize it (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* enum gdl_bpf_counter slots; per-CPU so counting never contends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GDL_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Per-CPU slots, but not one writer at a time: a program on this CPU can
 * be interrupted by another (a uprobe's by a timer's flush of the module's
 * batch, on the way out of an interrupt), so the add is atomic: with a
 * plain load and store, the interrupted one would write back a stale sum.
 */
static __always_inline void count_n(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void count(__u32 slot)
{
	count_n(slot, 1);
}

/* True when the current caller passes filter_cgroup. */
static __always_inline bool cgroup_wanted(__u64 cgroup_id)
{
	return !filter_cgroup || cgroup_id == filter_cgroup;
}

static __always_inline void fill_hdr(struct gdl_event_hdr *hdr, __u16 kind,
				     __u16 size)
{
	hdr->kind = kind;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = bpf_ktime_get_ns();
}

/*
 * The current task's comm, as bpf_get_current_comm() gives it: the kernel
 * keeps task->comm NUL-padded (set_task_comm uses strscpy_pad), so two
 * 8-byte loads copy the same bytes without the helper's strscpy.  The BTF
 * check allows an 8-byte load inside the char array.
 */
static __always_inline void comm_copy(char dst[GDL_COMM_LEN],
				      struct task_struct *task)
{
	__u64 *d = (__u64 *)dst;

	d[0] = *(__u64 *)&task->comm[0];
	d[1] = *(__u64 *)&task->comm[8];
}

#endif /* GDL_COMMON_BPF_H */
