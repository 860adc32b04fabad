// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_module.bpf.c - every decision of gpu_dma_lock.ko into the event ring
 *
 * The module's eight tracepoints (trace system "gpu_dma_lock") all take a
 * decision record's fields as their arguments, in GDL_DECISION_FIELDS order
 * (uapi/gpu_dma_lock.h), so a program reads each field as one plain word of
 * its context.  (Through a pointer to the record, each field was a load the
 * JIT guards against a bad address, six instructions more apiece; a raw_tp
 * program had to copy the record with bpf_probe_read_kernel().)
 *
 * Each program is a BTF-enabled raw tracepoint (SEC("tp_btf/...")), which
 * needs the module's BTF (/sys/kernel/btf/gpu_dma_lock).  A module built
 * without it (DKMS: header packages ship no vmlinux) gets the same programs
 * as raw_tp, from this file built with -DGDL_RAW_TP into
 * gdl_module_raw.bpf.o, which the loader picks then
 * (agent/src/events/kernel-source.ts).  Both read the same context words.
 */
#include "gdl_common.bpf.h"

/* Only decisions about this agent (0: every agent). */
const volatile __u64 filter_agent = 0;

/*
 * Keep 1 in sample_every *allowed* DMA checks (the hot, boring path).
 * Denials, quota violations and every other kind are never sampled away.
 * 0 and 1 both mean "keep all".
 */
const volatile __u32 sample_every = 1;

/* Per-CPU position in the sampling cycle: no shared cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} check_tick SEC(".maps");

/* True when this allowed check is the one in sample_every to keep. */
static __always_inline bool sample_check(void)
{
	__u32 zero = 0;
	__u64 *tick;

	if (sample_every <= 1)
		return true;
	tick = bpf_map_lookup_elem(&check_tick, &zero);
	if (!tick)
		return true;
	/* Keep the first of each cycle, so a lone check is always seen. */
	return (*tick)++ % sample_every == 0;
}

#ifdef GDL_RAW_TP
#define GDL_TP_SECTION "raw_tp/"
#else
#define GDL_TP_SECTION "tp_btf/"
#endif

/* The tracepoints' arguments: the index of each field in the context. */
#define GDL_ARG_INDEX_(type, name)	GDL_ARG_##name,
enum gdl_decision_arg {
	GDL_DECISION_FIELDS(GDL_ARG_INDEX_, GDL_ARG_INDEX_)
};
#undef GDL_ARG_INDEX_

/* Each field from its context word, straight into the ring's record. */
static __always_inline void copy_decision(struct gdl_decision *dst,
					  const __u64 *ctx)
{
#define GDL_ARG_COPY_(type, name)	dst->name = (type)ctx[GDL_ARG_##name];
	GDL_DECISION_FIELDS(GDL_ARG_COPY_, GDL_ARG_COPY_)
#undef GDL_ARG_COPY_
}

/*
 * The cheap decisions come first, so an event that is filtered or sampled
 * away costs a counter, not a copy: filters (compiled out when their
 * rodata value is 0) read only the field they need, and the check program
 * knows it is an allowed check without reading the record at all.
 */
static __always_inline int emit_decision(const __u64 *ctx, bool allowed_check)
{
	struct gdl_ev_decision *ev;
	struct task_struct *task;
	__u64 id;

	count(GDL_CTR_SEEN);
	if (filter_agent && ctx[GDL_ARG_agent_id] != filter_agent) {
		count(GDL_CTR_FILTERED);
		return 0;
	}
	if (filter_cgroup && bpf_get_current_cgroup_id() != filter_cgroup) {
		count(GDL_CTR_FILTERED);
		return 0;
	}
	if (allowed_check && !sample_check()) {
		count(GDL_CTR_SAMPLED_OUT);
		return 0;
	}

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(GDL_CTR_LOST);
		return 0;
	}
	copy_decision(&ev->d, ctx);
	fill_hdr(&ev->hdr, GDL_EV_DECISION, sizeof(*ev));
	id = bpf_get_current_pid_tgid();
	ev->tid = (__u32)id;
	ev->pid = id >> 32;
	/*
	 * The module passes the caller's cgroup as the record's last field
	 * (0 outside task context); the event says the same, so the two
	 * never disagree.
	 */
	ev->cgroup_id = ctx[GDL_ARG_cgroup_id];
	/*
	 * The comm as two loads from the task: the kernel keeps it
	 * NUL-padded (strscpy_pad), which is what bpf_get_current_comm()
	 * would copy, at a tenth of its cost.
	 */
	task = bpf_get_current_task_btf();
	comm_copy(ev->comm, task);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/*
 * One program per tracepoint: each can be attached or left out alone, and
 * gdl_check (the module fires it for allowed checks only) is the one that
 * samples.
 */
#define GDL_DECISION_PROG(tp, allowed_check)			\
SEC(GDL_TP_SECTION #tp)						\
int tp(__u64 *ctx)						\
{								\
	return emit_decision(ctx, allowed_check);		\
}

/* GDL_DECISION_KINDS (uapi/gpu_dma_lock.h): raw_tp/gdl_<name> for each kind. */
#define GDL_KIND_PROG_(kind, value, name, why)			\
	GDL_DECISION_PROG(gdl_##name, GDL_DEC_##kind == GDL_DEC_CHECK)
GDL_DECISION_KINDS(GDL_KIND_PROG_, GDL_KIND_PROG_)
