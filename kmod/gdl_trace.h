/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_trace.h - the module's tracepoints (trace system "gpu_dma_lock")
 *
 * One event per decision kind, all of one class: each takes a pointer to
 * the struct gdl_decision the core built (uapi/gpu_dma_lock.h), so a
 * BTF-enabled raw tracepoint BPF program (SEC("tp_btf/gdl_alloc"),
 * bpf/gdl_module.bpf.c) reads that struct's fields in place, and ftrace
 * users get every field plus the caller's pid.  The core leaves @cgroup_id 0; gdl_trace() stamps it with
 * gdl_decision_cgroup_id() before the event fires, so both see it.  The events fire from the core through gdl_trace()
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

DECLARE_EVENT_CLASS(gdl_decision_class,
	TP_PROTO(const struct gdl_decision *d),
	TP_ARGS(d),

	TP_STRUCT__entry(
		__field(u32, kind)
		__field(u32, device)
		__field(u64, agent_id)
		__field(u64, alloc_id)
		__field(u64, addr)
		__field(u64, length)
		__field(u32, mode)
		__field(s32, result)
		__field(u64, used)
		__field(u64, quota)
		__field(pid_t, pid)
		__field(u64, cgroup_id)
	),

	TP_fast_assign(
		__entry->kind = d->kind;
		__entry->device = d->device;
		__entry->agent_id = d->agent_id;
		__entry->alloc_id = d->alloc_id;
		__entry->addr = d->addr;
		__entry->length = d->length;
		__entry->mode = d->mode;
		__entry->result = d->result;
		__entry->used = d->used;
		__entry->quota = d->quota;
		__entry->pid = current->tgid;
		__entry->cgroup_id = d->cgroup_id;
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
	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	return id;
}
#endif

#define GDL_DEFINE_DECISION_EVENT(name)					\
DEFINE_EVENT(gdl_decision_class, name,					\
	TP_PROTO(const struct gdl_decision *d),				\
	TP_ARGS(d))

/* One event per decision kind: gdl_<name> of GDL_DECISION_KINDS. */
#define GDL_DECISION_EVENT_(kind, value, name, why)	GDL_DEFINE_DECISION_EVENT(gdl_##name);
GDL_DECISION_KINDS(GDL_DECISION_EVENT_, GDL_DECISION_EVENT_)

#endif /* GDL_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gdl_trace
#include <trace/define_trace.h>
