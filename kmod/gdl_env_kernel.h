/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_env_kernel.h - the core's environment (gdl_env.h) built on kernel APIs
 *
 * The core logic in kmod/core/ includes gdl_env.h, which picks this file
 * under __KERNEL__.  Everything the contract names maps one to one onto a
 * kernel primitive, so the core compiled into the module is exactly as fast
 * as if it had been written against the kernel directly:
 *
 *   memory     kzalloc/kvzalloc GFP_KERNEL, GFP_KERNEL_ACCOUNT for what a
 *              workload's request creates (the core never allocates with a
 *              spinlock held or inside an RCU read-side section)
 *   locks      spinlock_t, struct mutex
 *   RCU        rcu_read_lock_sched, call_rcu, rcu_barrier, synchronize_rcu
 *   counters   alloc_percpu'd u64 arrays, this_cpu_add, summed over
 *              possible CPUs on read
 *   decisions  the gpu_dma_lock tracepoints: gdl_trace_on() is the static
 *              key test of the event, so a disabled event costs one
 *              patched-out jump and no record is built
 *
 * Objects allocated through gdl_zalloc()/gdl_kvzalloc()/gdl_pcpu_alloc() are
 * counted in gdl_env_live_objects: the module reports any that remain after
 * gdl_core_destroy() (a leak detector the in-guest tests read from dmesg),
 * and /proc/swarm/gpu/stats shows the live count as kernel_objects.
 */
#ifndef GDL_ENV_KERNEL_H
#define GDL_ENV_KERNEL_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>

#include "gdl_trace.h"
#include "gdl_trace_sample.h"

/* Live objects the core holds; see the file comment. */
extern atomic_long_t gdl_env_live_objects;

/* Memory ------------------------------------------------------------------ */

static inline void *gdl_env_count(void *p)
{
	if (p)
		atomic_long_inc(&gdl_env_live_objects);
	return p;
}

static inline void gdl_env_uncount(const void *p)
{
	if (p)
		atomic_long_dec(&gdl_env_live_objects);
}

static inline void *gdl_zalloc(size_t n)
{
	return gdl_env_count(kzalloc(n, GFP_KERNEL));
}

/* Uninitialised: for scratch the caller writes before it reads. */
static inline void *gdl_malloc(size_t n)
{
	return gdl_env_count(kmalloc(n, GFP_KERNEL));
}

/* Objects a workload's request creates: its memory cgroup pays for them. */
static inline void *gdl_zalloc_account(size_t n)
{
	return gdl_env_count(kzalloc(n, GFP_KERNEL_ACCOUNT));
}

static inline void *gdl_kvzalloc(size_t n)
{
	return gdl_env_count(kvzalloc(n, GFP_KERNEL));
}

/* Frees what gdl_zalloc() returned (gdl_free() is the core's, for ids). */
static inline void gdl_zfree(void *p)
{
	gdl_env_uncount(p);
	kfree(p);
}

static inline void gdl_kvfree(void *p)
{
	gdl_env_uncount(p);
	kvfree(p);
}

/* Locks ------------------------------------------------------------------- */

/*
 * Plain (not _bh/_irqsave) spinlocks: the core takes its locks only from
 * process context (ioctl, /proc, file release); the one entry point usable
 * from any context, gdl_check(), takes none.
 */
typedef spinlock_t gdl_spinlock_t;
#define gdl_spin_init(l)	spin_lock_init(l)
#define gdl_spin_lock(l)	spin_lock(l)
#define gdl_spin_unlock(l)	spin_unlock(l)

typedef struct mutex gdl_mutex_t;
#define gdl_mutex_init(m)	mutex_init(m)
#define gdl_mutex_lock(m)	mutex_lock(m)
#define gdl_mutex_unlock(m)	mutex_unlock(m)
#define gdl_mutex_destroy(m)	mutex_destroy(m)

/* RCU --------------------------------------------------------------------- */

/*
 * The core's read sections are RCU-sched ones: preemption off, which
 * call_rcu() and synchronize_rcu() wait for like for rcu_read_lock() since
 * the RCU flavours were consolidated (v4.20).  On PREEMPT_RCU kernels
 * (Debian's, PREEMPT_DYNAMIC) rcu_read_lock() is a call each way into the
 * RCU core; preempt_disable() is an increment.  The sections are short and
 * never sleep (no allocation inside them, no user copy but ALLOC's id,
 * written under alloc_lock with page faults disabled),
 * which PROVE_RCU and DEBUG_ATOMIC_SLEEP check in the deep lane.
 */
#define gdl_rcu_read_lock()	rcu_read_lock_sched()
#define gdl_rcu_read_unlock()	rcu_read_unlock_sched()
/*
 * A spinlock_t inside an RCU-sched section is a sleeping lock inside a
 * preemption-off one on PREEMPT_RT (and "Invalid wait context" wherever
 * lockdep checks raw nesting, the default since 6.10), so a lookup that
 * must end under a spinlock is done under it instead: holding a spinlock_t
 * is an RCU read section on every kernel (preemption off, or on PREEMPT_RT
 * rcu_read_lock() taken by the lock itself).
 */
#define gdl_spin_lock_rcu(l)	spin_lock(l)
#define gdl_spin_unlock_rcu(l)	spin_unlock(l)
/*
 * Readers dereference in such a section; a writer that holds the lock
 * serializing the pointer's updates may read it outside one, and says
 * which lock, so that PROVE_RCU checks both (a NULL @lock: readers only).
 */
/* Any reader: an RCU-sched section, or a spinlock (PREEMPT_RT: RCU). */
#define gdl_rcu_dereference(p)		\
	rcu_dereference_check((p), rcu_read_lock_any_held())
#define gdl_rcu_dereference_locked(p, lock)				\
	rcu_dereference_sched_check((p), (lock) && lockdep_is_held(lock))
#define gdl_rcu_assign_pointer(p, v)	rcu_assign_pointer((p), (v))

/*
 * struct gdl_rcu_head is the kernel's struct rcu_head under another name, so
 * a callback taking struct gdl_rcu_head * is exactly an rcu_callback_t and
 * call_rcu() needs no function-pointer cast (which CFI would reject).
 */
#define gdl_rcu_head			rcu_head
#define gdl_call_rcu(head, fn)		call_rcu((head), (fn))
#define gdl_rcu_barrier()		rcu_barrier()
#define gdl_synchronize_rcu()		synchronize_rcu()

/* Per-CPU counters ------------------------------------------------------- */

/**
 * struct gdl_pcpu - an array of per-CPU u64 counters
 * @n: number of counters
 * @v: per-CPU array of @n counters
 */
struct gdl_pcpu {
	unsigned int n;
	u64 __percpu *v;
};

static inline struct gdl_pcpu *gdl_pcpu_alloc(unsigned int n)
{
	struct gdl_pcpu *pc;

	if (!n)
		return NULL;
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!pc)
		return NULL;
	pc->v = __alloc_percpu(array_size(n, sizeof(u64)), sizeof(u64));
	if (!pc->v) {
		kfree(pc);
		return NULL;
	}
	pc->n = n;
	return gdl_env_count(pc);
}

static inline void gdl_pcpu_free(struct gdl_pcpu *pc)
{
	if (!pc)
		return;
	gdl_env_uncount(pc);
	free_percpu(pc->v);
	kfree(pc);
}

/* Lock-free and preemption-safe: this_cpu_add is one %gs-relative add. */
#define gdl_pcpu_add(pc, idx, val)	this_cpu_add((pc)->v[(idx)], (val))

/*
 * Two counters: @pc->v is read once (after one add through a u64 the
 * compiler must assume @pc->v changed, so gdl_pcpu_add() twice reads it
 * twice).  Each add is preemption-safe on its own; the two may land on
 * different CPUs, which the sums do not mind.
 */
static __always_inline void gdl_pcpu_add2(struct gdl_pcpu *pc,
					  unsigned int i, u64 vi,
					  unsigned int j, u64 vj)
{
	u64 __percpu *v = pc->v;

	this_cpu_add(v[i], vi);
	this_cpu_add(v[j], vj);
}

static inline u64 gdl_pcpu_sum(const struct gdl_pcpu *pc, unsigned int idx)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(&pc->v[idx], cpu));
	return sum;
}

/*
 * Increments racing with a reset may survive it; a reset is an operator's
 * "start counting from about now", not a barrier.
 */
static inline void gdl_pcpu_zero(struct gdl_pcpu *pc)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		for (i = 0; i < pc->n; i++)
			WRITE_ONCE(*per_cpu_ptr(&pc->v[i], cpu), 0);
}

/* Randomness and context -------------------------------------------------- */

static inline u32 gdl_random_u32(void)
{
	return get_random_u32();
}

#define gdl_cond_resched()	cond_resched()

/* Decisions --------------------------------------------------------------- */

/*
 * The core calls these with a constant @kind, so the switch folds away and
 * each call site is left with the one static-key test of its event.
 */
static __always_inline bool gdl_trace_on(void *env, u32 kind)
{
#define GDL_TRACE_ON_(kind, value, name, why)	\
	case GDL_DEC_##kind:				\
		return trace_gdl_##name##_enabled() || trace_gdl_batch_enabled();
	switch (kind) {
	GDL_DECISION_KINDS(GDL_TRACE_ON_, GDL_TRACE_ON_)
#undef GDL_TRACE_ON_
	}
	return false;
}

/*
 * Called once per decision whose event is on, just before it is built:
 * allowed checks are sampled (trace_check_every), nothing else is.
 */
static __always_inline bool gdl_trace_keep(void *env, u32 kind)
{
	return kind != GDL_DEC_CHECK || gdl_trace_check_kept();
}

/*
 * The core builds the record without knowing who asked; the caller's cgroup
 * id takes its @cgroup_id's place here, only for an enabled event.  The
 * events take the record's fields as arguments (gdl_trace.h), in
 * GDL_DECISION_FIELDS order: every field from @d, and the last one,
 * @cgroup_id, the caller's.  While gdl_batch is on, the decision also goes
 * into this CPU's batch (gdl_batch.h), which finds the cgroup itself.
 */
#define GDL_TRACE_FIELD_(type, name)	d->name,
#define GDL_TRACE_STAMPED_(type, name)	gdl_decision_cgroup_id()
#define GDL_TRACE_(kind, value, name, why)				\
	case GDL_DEC_##kind:						\
		if (trace_gdl_##name##_enabled())			\
			trace_gdl_##name(GDL_DECISION_FIELDS(GDL_TRACE_FIELD_, \
							     GDL_TRACE_STAMPED_)); \
		break;

static __always_inline void gdl_trace(void *env, const struct gdl_decision *d)
{
	switch (d->kind) {
	GDL_DECISION_KINDS(GDL_TRACE_, GDL_TRACE_)
	}
	/* Last: nothing of @d is live across its clock call. */
	if (trace_gdl_batch_enabled())
		gdl_batch_add(d);
}

#undef GDL_TRACE_
#undef GDL_TRACE_STAMPED_
#undef GDL_TRACE_FIELD_
#endif /* GDL_ENV_KERNEL_H */
