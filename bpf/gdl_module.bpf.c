// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_module.bpf.c - every decision of gpu_dma_lock.ko into the event ring
 *
 * The module's eight tracepoints (trace system "gpu_dma_lock") all have
 * TP_PROTO(const struct gdl_decision *d).  Each program is a BTF-enabled
 * raw tracepoint (SEC("tp_btf/...")): the kernel hands it that pointer as
 * is, typed by the module's BTF, so the program reads the record's fields
 * with plain loads.  (A classic "tracepoint/" program would have the kernel
 * format the whole trace entry first; a "raw_tp/" one must copy the record
 * with bpf_probe_read_kernel(), which cost about as much as the ring
 * buffer itself.)
 *
 * tp_btf needs the module's BTF (/sys/kernel/btf/gpu_dma_lock); a module
 * built without it (DKMS: header packages ship no vmlinux) gets the same
 * programs as raw_tp, from this file built with -DGDL_RAW_TP into
 * gdl_module_raw.bpf.o, which the loader picks then
 * (agent/src/events/kernel-source.ts).
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
/* A raw_tp argument is a plain number: the record must be probe-read. */
static __always_inline int copy_decision(struct gdl_decision *dst,
					 const struct gdl_decision *src)
{
	return bpf_probe_read_kernel(dst, sizeof(*dst), src);
}

static __always_inline int read_agent(const struct gdl_decision *src,
				      __u64 *agent)
{
	return bpf_probe_read_kernel(agent, sizeof(*agent), &src->agent_id);
}
#else
#define GDL_TP_SECTION "tp_btf/"
/*
 * Copy the record field by field: each load is checked against the
 * module's BTF, which allows no load that straddles two fields, and
 * barrier_var() keeps the compiler from merging neighbouring 4-byte loads
 * into one 8-byte load.
 */
static __always_inline int copy_decision(struct gdl_decision *dst,
					 const struct gdl_decision *src)
{
	__u32 kind, device, mode;
	__s32 result;

	/* Newer kernels type a tracepoint argument "maybe NULL". */
	if (!src)
		return -1;
	kind = src->kind;
	device = src->device;
	mode = src->mode;
	result = src->result;

	barrier_var(kind);
	barrier_var(mode);
	dst->kind = kind;
	dst->device = device;
	dst->agent_id = src->agent_id;
	dst->alloc_id = src->alloc_id;
	dst->addr = src->addr;
	dst->length = src->length;
	dst->mode = mode;
	dst->result = result;
	dst->used = src->used;
	dst->quota = src->quota;
	dst->cgroup_id = src->cgroup_id;
	return 0;
}

static __always_inline int read_agent(const struct gdl_decision *src,
				      __u64 *agent)
{
	if (!src)
		return -1;
	*agent = src->agent_id;
	return 0;
}
#endif

/*
 * The cheap decisions come first, so an event that is filtered or sampled
 * away costs a counter, not a copy: filters (compiled out when their
 * rodata value is 0) read only the field they need, and the check program
 * knows it is an allowed check without reading the record at all.
 */
static __always_inline int emit_decision(const struct gdl_decision *src,
					 bool allowed_check)
{
	struct gdl_ev_decision *ev;
	struct task_struct *task;
	__u64 id, agent;

	count(GDL_CTR_SEEN);
	if (filter_agent &&
	    (read_agent(src, &agent) || agent != filter_agent)) {
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
	/* Straight into the ring: no copy on the stack. */
	if (copy_decision(&ev->d, src)) {
		/* Unreadable record: nothing to send, still never silent. */
		bpf_ringbuf_discard(ev, 0);
		count(GDL_CTR_LOST);
		return 0;
	}
	fill_hdr(&ev->hdr, GDL_EV_DECISION, sizeof(*ev));
	id = bpf_get_current_pid_tgid();
	ev->tid = (__u32)id;
	ev->pid = id >> 32;
	/*
	 * The module stamps the caller's cgroup into the record (0 outside
	 * task context); the event says the same, so the two never disagree.
	 */
	ev->cgroup_id = ev->d.cgroup_id;
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
int BPF_PROG(tp, const struct gdl_decision *d)			\
{								\
	return emit_decision(d, allowed_check);			\
}

/* GDL_DECISION_KINDS (uapi/gpu_dma_lock.h): raw_tp/gdl_<name> for each kind. */
#define GDL_KIND_PROG_(kind, value, name, why)			\
	GDL_DECISION_PROG(gdl_##name, GDL_DEC_##kind == GDL_DEC_CHECK)
GDL_DECISION_KINDS(GDL_KIND_PROG_, GDL_KIND_PROG_)
