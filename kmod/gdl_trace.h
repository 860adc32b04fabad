/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_trace.h - the module's tracepoints (trace system "gpu_dma_lock")
 *
 * One event per decision kind, all of one class: each takes the fields of
 * the struct gdl_decision the core built (uapi/gpu_dma_lock.h) as its
 * arguments, in GDL_DECISION_FIELDS order, so a BPF program on it
 * (bpf/gdl_module.bpf.c, tp_btf or raw_tp) reads each field as a plain word
 * of its context: through a pointer, every load was a guarded one.  ftrace
 * users get every field plus the caller's pid.  The core leaves @cgroup_id
 * 0; gdl_trace() passes gdl_decision_cgroup_id() in its place, so both see
 * it.  The events fire from the core through gdl_trace()
 * (gdl_env_kernel.h); gdl_trace.c instantiates them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gpu_dma_lock

#if !defined(GDL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define GDL_TRACE_H

#include <linux/cgroup.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "gdl_batch.h"
#include "uapi/gpu_dma_lock.h"

/* GDL_DECISION_KINDS (uapi/gpu_dma_lock.h): { value, "name" } for each kind. */
#define GDL_SHOW_KIND_(kind, value, name, why)	{ GDL_DEC_##kind, #name },
#define GDL_SHOW_KIND_LAST_(kind, value, name, why)	{ GDL_DEC_##kind, #name }
#define gdl_show_kind(k)						\
	__print_symbolic(k, GDL_DECISION_KINDS(GDL_SHOW_KIND_, GDL_SHOW_KIND_LAST_))

#define gdl_show_mode(m)						\
	__print_symbolic(m,						\
		{ 0,		"-" },					\
		{ GDL_DMA_READ,	"r" },					\
		{ GDL_DMA_WRITE, "w" },					\
		{ GDL_DMA_RW,	"rw" })

/* GDL_DECISION_FIELDS as a prototype, an argument list, entry fields. */
#define GDL_TP_PARAM_(type, name)	type name,
#define GDL_TP_PARAM_LAST_(type, name)	type name
#define GDL_TP_ARG_(type, name)		name,
#define GDL_TP_ARG_LAST_(type, name)	name
#define GDL_TP_FIELD_(type, name)	__field(type, name)
#define GDL_TP_ASSIGN_(type, name)	__entry->name = name;

DECLARE_EVENT_CLASS(gdl_decision_class,
	TP_PROTO(GDL_DECISION_FIELDS(GDL_TP_PARAM_, GDL_TP_PARAM_LAST_)),
	TP_ARGS(GDL_DECISION_FIELDS(GDL_TP_ARG_, GDL_TP_ARG_LAST_)),

	TP_STRUCT__entry(
		GDL_DECISION_FIELDS(GDL_TP_FIELD_, GDL_TP_FIELD_)
		__field(pid_t, pid)
	),

	TP_fast_assign(
		GDL_DECISION_FIELDS(GDL_TP_ASSIGN_, GDL_TP_ASSIGN_)
		__entry->pid = current->tgid;
	),

	TP_printk("%s agent=%llu device=%d alloc=%llu addr=0x%llx length=%llu mode=%s result=%d used=%llu quota=%llu pid=%d cgroup=%llu",
		  gdl_show_kind(__entry->kind), __entry->agent_id,
		  (int)__entry->device, __entry->alloc_id, __entry->addr,
		  __entry->length, gdl_show_mode(__entry->mode),
		  __entry->result, __entry->used, __entry->quota,
		  __entry->pid, __entry->cgroup_id)
);

/*
 * gdl_decision_cgroup_id - what a decision record's @cgroup_id says: the
 * current task's cgroup v2 id, or 0 where no task asked (interrupts, softirq:
 * gpu_dma_lock_check() may be called there, and "current" is whoever was
 * interrupted).  Only called when an event is enabled.
 */
#ifndef GDL_TRACE_HELPERS	/* this header is read several times */
#define GDL_TRACE_HELPERS
static inline u64 gdl_decision_cgroup_id(void)
{
	u64 id;

	if (!in_task())
		return 0;
	/*
	 * A sched-RCU read (preemption off) keeps the task's css_set, as in
	 * gdl_identity_resolve(): an inline counter, where rcu_read_lock()
	 * is two calls on a preemptible-RCU kernel.
	 */
	rcu_read_lock_sched();
	id = cgroup_id(rcu_dereference_sched(current->cgroups)->dfl_cgrp);
	rcu_read_unlock_sched();
	return id;
}
#endif

#define GDL_DEFINE_DECISION_EVENT(name)					\
DEFINE_EVENT(gdl_decision_class, name,					\
	TP_PROTO(GDL_DECISION_FIELDS(GDL_TP_PARAM_, GDL_TP_PARAM_LAST_)), \
	TP_ARGS(GDL_DECISION_FIELDS(GDL_TP_ARG_, GDL_TP_ARG_LAST_)))

/* One event per decision kind: gdl_<name> of GDL_DECISION_KINDS. */
#define GDL_DECISION_EVENT_(kind, value, name, why)	GDL_DEFINE_DECISION_EVENT(gdl_##name);
GDL_DECISION_KINDS(GDL_DECISION_EVENT_, GDL_DECISION_EVENT_)

/*
 * gdl_batch - up to GDL_BATCH_EVENTS decisions of one CPU, each a whole
 * ring record (gdl_batch.c): while it is on, the module gathers every
 * decision for it, on top of the events above.  @count and @dropped are
 * @batch's, as arguments so a program has them as plain context words,
 * @dropped even when it cannot take the batch itself (a full ring).
 */
TRACE_EVENT_FN(gdl_batch,
	TP_PROTO(const struct gdl_ev_batch *batch, u32 count, u32 dropped),
	TP_ARGS(batch, count, dropped),

	TP_STRUCT__entry(
		__field(u32, count)
		__field(u32, dropped)
	),

	TP_fast_assign(
		__entry->count = count;
		__entry->dropped = dropped;
	),

	TP_printk("decisions=%u dropped=%u", __entry->count, __entry->dropped),

	gdl_batch_reg, gdl_batch_unreg
);

#endif /* GDL_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gdl_trace
#include <trace/define_trace.h>
