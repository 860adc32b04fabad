/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_batch.h - decisions gathered per CPU for the gdl_batch event
 * (gdl_batch.c has the why and the rules)
 */
#ifndef GDL_BATCH_H
#define GDL_BATCH_H

#include <linux/cgroup.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/types.h>

#include "uapi/gdl_events.h"

int gdl_batch_init(void);
void gdl_batch_exit(void);

/* The gdl_batch event's first program arrives, its last one leaves. */
int gdl_batch_reg(void);
void gdl_batch_unreg(void);

/*
 * One CPU's batch.  Each slot's header is written once, at load: a slot
 * only ever holds a decision of its own CPU, so per decision only the
 * clock is new there.
 */
struct gdl_batch_cpu {
	struct gdl_ev_batch rec;
	/* The next free slot of @rec.ev; @rec.count is set when it goes out. */
	struct gdl_ev_decision *next;
	struct timer_list timer;
	/* @rec is being handed to the event: gdl_batch_copy() may read it. */
	bool flushing;
};

extern struct gdl_batch_cpu __percpu *gdl_batches;
DECLARE_PER_CPU(u32, gdl_batch_dropped);

/*
 * Out of line, once a batch: it goes to the event (it is full); it was
 * empty (arm its timer).  On its CPU, interrupts off.
 */
void gdl_batch_flush(struct gdl_batch_cpu *b);
void gdl_batch_arm(struct gdl_batch_cpu *b);

/* The kfunc for the program on gdl_batch (bpf/gdl_batch.bpf.c). */
u32 gdl_batch_copy(void *dst, u32 dst__sz);

/*
 * Called while gdl_batch is on: @d, as the current task's, into this CPU's
 * batch.  Inline, so the compiler writes the record's fields straight into
 * the slot (through a call, the core's record was built on the stack and
 * copied: 34 instructions, and the call's own).  Interrupts are off, which
 * is also a sched-RCU read section for the task's css_set.
 */
static __always_inline void gdl_batch_add(const struct gdl_decision *d)
{
	struct task_struct *task = current;
	struct gdl_ev_decision *ev;
	struct gdl_batch_cpu *b;
	unsigned long flags;
	u64 cgroup = 0;
	unsigned int context = preempt_count();

	if (unlikely(context & NMI_MASK)) {
		this_cpu_inc(gdl_batch_dropped);
		return;
	}
	local_irq_save(flags);
	b = this_cpu_ptr(gdl_batches);
	ev = b->next;
	/* As gdl_decision_cgroup_id(): 0 where no task asked (in_task()). */
	if (!(context & (HARDIRQ_MASK | SOFTIRQ_OFFSET)))
		cgroup = cgroup_id(rcu_dereference_sched(task->cgroups)->dfl_cgrp);
	ev->d = *d;
	ev->d.cgroup_id = cgroup;
	ev->tid = task->pid;
	ev->pid = task->tgid;
	ev->cgroup_id = cgroup;
	/* NUL-padded by the kernel (strscpy_pad): what bpf_get_current_comm() copies. */
	memcpy(ev->comm, task->comm, sizeof(ev->comm));
	/* Last, so nothing but @b, @ev and @flags is live across the call. */
	ev->hdr.ts_ns = ktime_get_mono_fast_ns();
	b->next = ev + 1;
	if (unlikely(ev + 1 == &b->rec.ev[GDL_BATCH_EVENTS]))
		gdl_batch_flush(b);
	else if (unlikely(ev == b->rec.ev))
		gdl_batch_arm(b);
	local_irq_restore(flags);
}

#endif /* GDL_BATCH_H */
