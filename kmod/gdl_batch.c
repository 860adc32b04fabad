// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_batch.c - every decision, gathered per CPU, handed to BPF in batches
 *
 * Why: a program on a per-decision event pays, for each decision, the
 * tracepoint's call into BPF and a ring reservation and commit, about 200
 * of the 420 instructions streaming every event added to a CHECK.  While
 * the gdl_batch event is on, the module writes each decision's ring record
 * itself (struct gdl_ev_decision: the clock, the caller, its cgroup and
 * comm) into its CPU's batch and fires gdl_batch once per GDL_BATCH_EVENTS
 * decisions; the program there copies the whole batch into the ring with
 * gdl_batch_copy(), this module's kfunc (bpf/gdl_batch.bpf.c).
 *
 * When a batch goes out: when it is full; when its CPU's timer runs out,
 * trace_batch_wait_ms after the batch's first decision, so none waits much
 * longer than that; and on every CPU when the event's last program
 * leaves (gdl_batch_unreg(), which the kernel calls while that program is
 * still attached), so the last consumer to stop has every decision up to
 * then; and when a CPU goes offline.
 *
 * Concurrency: a batch is written and flushed only on its own CPU, with
 * interrupts off, so decisions in task, softirq and hardirq context take
 * turns; one made in NMI context is counted in the next batch's @dropped.
 * The timer is pinned.  A CPU going offline hands its batch over on its
 * way out (a hotplug callback that runs there), so no batch is left behind
 * to wait for it, and its timer, moved elsewhere, finds nothing to do.
 *
 * Lifetime: gdl_batches is published whole, once set up, and taken away
 * before it is freed, both under gdl_batch_lock, which the event's
 * register and unregister hooks take too: ftrace can turn the event on or
 * off while the module loads or unloads (it holds no reference on it).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/cpuhotplug.h>
#include <linux/hardirq.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>

#include "gdl_batch.h"
#include "gdl_trace.h"

/*
 * The longest a decision waits in a batch that does not fill (plus up to a
 * tick): a consumer sees a quiet node's decisions that late, a busy node's
 * as each batch fills.  A new value applies from the next batch.
 */
#define GDL_BATCH_WAIT_MS_MAX 60000
static unsigned int gdl_batch_wait_ms __read_mostly = 10;

static int gdl_batch_wait_ms_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, GDL_BATCH_WAIT_MS_MAX);
}

static const struct kernel_param_ops gdl_batch_wait_ms_ops = {
	.set = gdl_batch_wait_ms_set,
	.get = param_get_uint,
};
module_param_cb(trace_batch_wait_ms, &gdl_batch_wait_ms_ops,
		&gdl_batch_wait_ms, 0644);
MODULE_PARM_DESC(trace_batch_wait_ms,
		 "the longest a decision waits in a gdl_batch batch that does not fill, in ms (1.." __stringify(GDL_BATCH_WAIT_MS_MAX) ", default: 10)");

struct gdl_batch_cpu __percpu *gdl_batches;
DEFINE_PER_CPU(u32, gdl_batch_dropped);
static DEFINE_MUTEX(gdl_batch_lock);
static int gdl_batch_hp;	/* the dynamic hotplug state, once set up */

/* On @b's CPU, interrupts off, @b not empty: the batch to the event. */
void gdl_batch_flush(struct gdl_batch_cpu *b)
{
	struct gdl_ev_batch *r = &b->rec;

	r->count = b->next - r->ev;
	r->hdr.size = offsetof(struct gdl_ev_batch, ev[r->count]);
	r->hdr.cpu = smp_processor_id();
	r->hdr.ts_ns = ktime_get_mono_fast_ns();
	r->dropped = this_cpu_xchg(gdl_batch_dropped, 0);
	b->flushing = true;
	trace_gdl_batch(r, r->count, r->dropped);
	b->flushing = false;
	b->next = r->ev;
}

/*
 * Each batch's deadline counts from its first decision: a timer still
 * pending for an earlier batch (which filled first) is moved, so a new
 * trace_batch_wait_ms applies from the next batch on.
 */
void gdl_batch_arm(struct gdl_batch_cpu *b)
{
	mod_timer(&b->timer, jiffies + msecs_to_jiffies(READ_ONCE(gdl_batch_wait_ms)));
}

/* On @b's CPU, interrupts off: whatever @b holds to the event. */
static void gdl_batch_flush_pending(struct gdl_batch_cpu *b)
{
	if (b->next != b->rec.ev)
		gdl_batch_flush(b);
}

static void gdl_batch_timer(struct timer_list *t)
{
	struct gdl_batch_cpu *b = from_timer(b, t, timer);
	unsigned long flags;

	local_irq_save(flags);
	/* Moved off its CPU (hotplug): that CPU handed its batch over. */
	if (b == this_cpu_ptr(gdl_batches))
		gdl_batch_flush_pending(b);
	local_irq_restore(flags);
}

/* On the CPU going offline, its last act for us: hand the batch over. */
static int gdl_batch_cpu_down(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	gdl_batch_flush_pending(this_cpu_ptr(gdl_batches));
	this_cpu_write(gdl_batch_dropped, 0);
	local_irq_restore(flags);
	return 0;
}

/* on_each_cpu() callbacks: interrupts are off. */
static void gdl_batch_reset_here(void *unused)
{
	struct gdl_batch_cpu *b = this_cpu_ptr(gdl_batches);

	b->next = b->rec.ev;
	this_cpu_write(gdl_batch_dropped, 0);
}

static void gdl_batch_flush_here(void *unused)
{
	gdl_batch_flush_pending(this_cpu_ptr(gdl_batches));
}

/*
 * What was gathered before a program attached (decisions made between the
 * last one's leaving and the event's static key going off) is old: start
 * empty.  Called under tracepoints_mutex, which is taken before
 * gdl_batch_lock, never after.
 */
int gdl_batch_reg(void)
{
	int ret = 0;

	mutex_lock(&gdl_batch_lock);
	if (gdl_batches)
		on_each_cpu(gdl_batch_reset_here, NULL, 1);
	else	/* the module is loading, or unloading */
		ret = -EAGAIN;
	mutex_unlock(&gdl_batch_lock);
	return ret;
}

void gdl_batch_unreg(void)
{
	mutex_lock(&gdl_batch_lock);
	if (gdl_batches)
		on_each_cpu(gdl_batch_flush_here, NULL, 1);
	mutex_unlock(&gdl_batch_lock);
}

/*
 * Eight bytes a step, one instruction: memcpy() is a byte-wise string move
 * on CPUs with ERMS and a loop of loads and stores on others; a batch is
 * whole 8-byte words (its records are 8-byte aligned and sized).
 */
static __always_inline void gdl_copy_words(void *dst, const void *src,
					   size_t bytes)
{
#ifdef CONFIG_X86_64
	size_t words = bytes / 8;

	asm volatile("rep movsq"
		     : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
#else
	memcpy(dst, src, bytes);
#endif
}

#ifndef __bpf_kfunc
#define __bpf_kfunc __used noinline	/* before 6.4 */
#endif

/*
 * gdl_batch_copy - the batch this CPU is handing to gdl_batch, into @dst
 * (@dst__sz bytes, a ring record the program reserved); returns how many
 * decisions it copied: 0 outside a flush, or if @dst is too small.
 */
__bpf_kfunc u32 gdl_batch_copy(void *dst, u32 dst__sz)
{
	struct gdl_batch_cpu *b = this_cpu_ptr(gdl_batches);

	if (!b->flushing || b->rec.hdr.size > dst__sz)
		return 0;
	gdl_copy_words(dst, &b->rec, b->rec.hdr.size);
	return b->rec.count;
}

#if IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES)
#ifdef BTF_KFUNCS_START		/* 6.9 on */
BTF_KFUNCS_START(gdl_kfunc_ids)
BTF_ID_FLAGS(func, gdl_batch_copy)
BTF_KFUNCS_END(gdl_kfunc_ids)
#else
BTF_SET8_START(gdl_kfunc_ids)
BTF_ID_FLAGS(func, gdl_batch_copy)
BTF_SET8_END(gdl_kfunc_ids)
#endif

static const struct btf_kfunc_id_set gdl_kfuncs = {
	.owner = THIS_MODULE,
	.set = &gdl_kfunc_ids,
};

/*
 * A module built without BTF (DKMS: header packages ship no vmlinux) has
 * no kfuncs: its programs are raw_tp and copy the batch through its
 * pointer, the slower way.
 */
static void gdl_batch_kfuncs_register(void)
{
	int ret;

	if (!THIS_MODULE->btf_data_size)
		return;
	/* BTF added without the ID step (kmod/Makefile's btfids): no set. */
	if (!gdl_kfunc_ids.cnt) {
		pr_info("kfunc gdl_batch_copy not registered: its BTF ID was not filled in (kmod/tools/btfids.c); batched events need gdl_batch_raw.bpf.o\n");
		return;
	}
	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &gdl_kfuncs);
	if (ret)
		pr_warn("kfunc gdl_batch_copy not registered (%d): batched events need gdl_batch_raw.bpf.o\n",
			ret);
}
#else
static void gdl_batch_kfuncs_register(void)
{
}
#endif

int gdl_batch_init(void)
{
	struct gdl_batch_cpu __percpu *batches;
	int cpu, ret;

	BUILD_BUG_ON(sizeof(current->comm) != GDL_COMM_LEN);
	BUILD_BUG_ON(sizeof(struct gdl_ev_batch) > U16_MAX);
	batches = alloc_percpu(struct gdl_batch_cpu);
	if (!batches)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct gdl_batch_cpu *b = per_cpu_ptr(batches, cpu);
		struct gdl_ev_decision *ev;

		b->rec.hdr.kind = GDL_EV_BATCH;
		for (ev = b->rec.ev; ev < &b->rec.ev[GDL_BATCH_EVENTS]; ev++) {
			ev->hdr.kind = GDL_EV_DECISION;
			ev->hdr.size = sizeof(*ev);
			ev->hdr.cpu = cpu;
		}
		b->next = b->rec.ev;
		timer_setup(&b->timer, gdl_batch_timer, TIMER_PINNED);
	}
	mutex_lock(&gdl_batch_lock);
	gdl_batches = batches;
	mutex_unlock(&gdl_batch_lock);
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "gpu_dma_lock:batch",
					NULL, gdl_batch_cpu_down);
	if (ret < 0) {
		gdl_batch_exit();
		return ret;
	}
	gdl_batch_hp = ret;
	gdl_batch_kfuncs_register();
	return 0;
}

/* After the core: no decision is made any more, and no program is attached. */
void gdl_batch_exit(void)
{
	struct gdl_batch_cpu __percpu *batches;
	int cpu;

	if (gdl_batch_hp > 0)
		cpuhp_remove_state_nocalls(gdl_batch_hp);
	gdl_batch_hp = 0;
	mutex_lock(&gdl_batch_lock);
	batches = gdl_batches;
	gdl_batches = NULL;
	mutex_unlock(&gdl_batch_lock);
	for_each_possible_cpu(cpu)
		del_timer_sync(&per_cpu_ptr(batches, cpu)->timer);
	free_percpu(batches);
}
