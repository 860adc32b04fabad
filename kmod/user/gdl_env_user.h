/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_env_user.h - the core's environment in userspace (see gdl_env.h)
 *
 * RCU is liburcu's "memb" flavour, its read side inlined (_LGPL_SOURCE):
 * the update side uses sys_membarrier, so a reader is a few loads and
 * stores, no fence and no call into the library.  memb wants reader
 * threads registered; the env does it itself, on a thread's first
 * read-side entry or call_rcu, and unregisters at thread exit (a pthread
 * key destructor), so any thread (koffi's, libuv's, a test's) may call the
 * core with no set-up, and synchronize_rcu never looks at a dead thread's
 * (freed) registry entry.  Spinlocks are pthread
 * mutexes: userspace threads get preempted while holding a lock, and a
 * sleeping lock keeps the other threads of a 2-core box from burning it.
 *
 * Allocation failure injection: gdl_fault_fail_nth(n) makes the n-th
 * allocation from now (gdl_zalloc, gdl_malloc, gdl_kvzalloc, gdl_pcpu_alloc) return
 * NULL, once.  gdl_fault_allocs() counts allocations attempted, so a test
 * can walk n = 1, 2, ... until an operation stops failing.
 */
#ifndef GDL_ENV_USER_H
#define GDL_ENV_USER_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
/* Inline read side; liburcu is LGPL-2.1+, compatible with our GPL-2.0. */
#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#ifndef likely
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#endif
#ifndef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#ifndef noinline
#define noinline		__attribute__((__noinline__))
#endif
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#ifndef container_of
#define container_of(ptr, type, member)	caa_container_of(ptr, type, member)
#endif

/* A tiny subset of the kernel's list.h ------------------------------- */

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = NULL;
	n->prev = NULL;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, h, member)				\
	for (pos = list_first_entry(h, __typeof__(*pos), member);	\
	     &pos->member != (h); pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, h, member)			\
	for (pos = list_first_entry(h, __typeof__(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     &pos->member != (h); pos = n, n = list_next_entry(n, member))

/* And of its hlist: one pointer per head, O(1) unlink */

struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

#define INIT_HLIST_HEAD(h)	((h)->first = NULL)

static inline void INIT_HLIST_NODE(struct hlist_node *n)
{
	n->next = NULL;
	n->pprev = NULL;
}

static inline bool hlist_empty(const struct hlist_head *h)
{
	return !h->first;
}

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

/* Unlinks @n and leaves its links as they were (the kernel's, likewise). */
static inline void __hlist_del(struct hlist_node *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
}

static inline void hlist_del(struct hlist_node *n)
{
	__hlist_del(n);
	n->next = NULL;
	n->pprev = NULL;
}

#define hlist_entry(ptr, type, member)	container_of(ptr, type, member)
#define hlist_entry_safe(ptr, type, member) ({				\
	struct hlist_node *__p = (ptr);					\
	__p ? hlist_entry(__p, type, member) : NULL;			\
})
#define hlist_for_each_entry(pos, h, member)				\
	for (pos = hlist_entry_safe((h)->first, __typeof__(*(pos)), member); \
	     pos;							\
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))
/* @n: a struct hlist_node *, as in the kernel. */
#define hlist_for_each_entry_safe(pos, n, h, member)			\
	for (pos = hlist_entry_safe((h)->first, __typeof__(*(pos)), member); \
	     pos && ({ n = (pos)->member.next; 1; });			\
	     pos = hlist_entry_safe(n, __typeof__(*(pos)), member))

/* Memory, with failure injection -------------------------------------- */

void *gdl_zalloc(size_t n);
void *gdl_malloc(size_t n);
/* No memory cgroups here: the same as gdl_zalloc (and its fault point). */
#define gdl_zalloc_account(n)	gdl_zalloc(n)
void *gdl_kvzalloc(size_t n);
void gdl_zfree(void *p);
void gdl_kvfree(void *p);

void gdl_fault_fail_nth(long n);	/* 0 disarms */
long gdl_fault_allocs(void);		/* allocations attempted so far */
bool gdl_fault_fired(void);		/* did the armed failure happen? */

/* Locks --------------------------------------------------------------- */

typedef pthread_mutex_t gdl_spinlock_t;
typedef pthread_mutex_t gdl_mutex_t;
#define gdl_spin_init(l)	pthread_mutex_init(l, NULL)
#define gdl_spin_lock(l)	pthread_mutex_lock(l)
#define gdl_spin_unlock(l)	pthread_mutex_unlock(l)
#define gdl_mutex_init(l)	pthread_mutex_init(l, NULL)
#define gdl_mutex_lock(l)	pthread_mutex_lock(l)
#define gdl_mutex_unlock(l)	pthread_mutex_unlock(l)
#define gdl_mutex_destroy(l)	pthread_mutex_destroy(l)

/* RCU ----------------------------------------------------------------- */

/*
 * Lazy reader registration.  gdl_rcu_registered is this thread's flag;
 * gdl_rcu_register() (out of line, once per thread) registers it with
 * urcu-memb unless liburcu already did (its call_rcu worker registers
 * itself) and arms the thread-exit destructor that unregisters it.
 * gdl_rcu_readers() counts threads registered here and not yet exited
 * (for tests).
 */
extern __thread bool gdl_rcu_registered;
void gdl_rcu_register(void);
long gdl_rcu_readers(void);

static inline void gdl_rcu_reader(void)
{
	if (unlikely(!gdl_rcu_registered))
		gdl_rcu_register();
}

static inline void gdl_rcu_read_lock(void)
{
	gdl_rcu_reader();
	urcu_memb_read_lock();
}

static inline void gdl_rcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

/* A lock holder is no RCU reader here (the kernel's is): both, in order. */
static inline void gdl_spin_lock_rcu(gdl_spinlock_t *l)
{
	gdl_rcu_read_lock();
	gdl_spin_lock(l);
}

static inline void gdl_spin_unlock_rcu(gdl_spinlock_t *l)
{
	gdl_spin_unlock(l);
	gdl_rcu_read_unlock();
}

/*
 * Callbacks run on the writers' threads, not on liburcu's worker.  The
 * worker only waits out the grace period, then pushes the callback onto
 * a ready list (gdl_rcu_trampoline); the next gdl_call_rcu() or
 * gdl_rcu_barrier(), on whatever thread, runs what is ready.  Why: the
 * callbacks free tree nodes, and free() on the worker's thread fought the
 * writer's malloc() for glibc's arena lock on every grant.  Measured on a
 * 2-core machine, a grant into a 100 000-range tree cost 13-16 us of CPU
 * that way, and about 2.3 us with both threads pinned to one CPU, where they
 * could not overlap.  Freed memory now waits until the next write (or
 * barrier) at most.  Callbacks take no lock, so running one inside a
 * writer's critical section is safe.
 *
 * liburcu's callbacks take a struct rcu_head *; the core's take a struct
 * gdl_rcu_head *.  The trampoline converts instead of casting function
 * pointer types (calling through a mismatched type is undefined).
 */
struct gdl_rcu_head {
	struct rcu_head head;
	void (*fn)(struct gdl_rcu_head *h);
};

extern struct gdl_rcu_head *gdl_rcu_ready;
void gdl_rcu_trampoline(struct rcu_head *h);
void gdl_rcu_reap(void);
void gdl_rcu_barrier(void);

/* call_rcu takes a read-side lock inside: only registered threads. */
static inline void gdl_call_rcu(struct gdl_rcu_head *h,
				void (*fn)(struct gdl_rcu_head *))
{
	if (__atomic_load_n(&gdl_rcu_ready, __ATOMIC_RELAXED))
		gdl_rcu_reap();
	h->fn = fn;
	gdl_rcu_reader();
	urcu_memb_call_rcu(&h->head, gdl_rcu_trampoline);
}

#define gdl_rcu_dereference(p)		rcu_dereference(p)
/* No lockdep here: the lock only documents who may read without RCU. */
#define gdl_rcu_dereference_locked(p, lock) ((void)(lock), rcu_dereference(p))
#define gdl_rcu_assign_pointer(p, v)	rcu_assign_pointer(p, v)
#define gdl_synchronize_rcu()		urcu_memb_synchronize_rcu()

/* Per-CPU counters: one cache-line-padded slot per CPU ------------------ */

struct gdl_pcpu {
	unsigned int n;		/* counters per slot */
	unsigned int nslots;	/* CPUs configured */
	unsigned int stride;	/* u64s per slot, a whole number of lines */
	u64 *v;
};

struct gdl_pcpu *gdl_pcpu_alloc(unsigned int n);
void gdl_pcpu_free(struct gdl_pcpu *pc);
u64 gdl_pcpu_sum(struct gdl_pcpu *pc, unsigned int idx);
void gdl_pcpu_zero(struct gdl_pcpu *pc);

/* This CPU's slot (rseq-backed sched_getcpu(): a load, no syscall). */
static inline u64 *gdl_pcpu_slot(struct gdl_pcpu *pc)
{
	int cpu = sched_getcpu();
	unsigned int slot = cpu < 0 ? 0 : (unsigned int)cpu % pc->nslots;

	return &pc->v[slot * pc->stride];
}

static inline void gdl_pcpu_add(struct gdl_pcpu *pc, unsigned int idx, u64 v)
{
	__atomic_fetch_add(&gdl_pcpu_slot(pc)[idx], v, __ATOMIC_RELAXED);
}

/* Two counters of one slot: one sched_getcpu(). */
static inline void gdl_pcpu_add2(struct gdl_pcpu *pc, unsigned int i, u64 vi,
				 unsigned int j, u64 vj)
{
	u64 *s = gdl_pcpu_slot(pc);

	__atomic_fetch_add(&s[i], vi, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s[j], vj, __ATOMIC_RELAXED);
}

/* Randomness and context ---------------------------------------------- */

u32 gdl_random_u32(void);
static inline void gdl_cond_resched(void)
{
}

/* Decisions: a per-instance sink reached through the env pointer -------- */

struct gdl_decision;

/**
 * struct gdl_user_env - what gdl_core_params.env points to in userspace
 * @trace_mask: bit k set: decisions of kind k are reported
 * @trace:      receives each reported decision (any thread)
 */
struct gdl_user_env {
	u32 trace_mask;
	void (*trace)(struct gdl_user_env *env, const struct gdl_decision *d);
};

static inline bool gdl_trace_on(void *env, u32 kind)
{
	struct gdl_user_env *e = env;

	return e && kind < 32 && ((READ_ONCE(e->trace_mask) >> kind) & 1);
}

/* Nothing is sampled here: the embedded core's events are its own. */
static inline bool gdl_trace_keep(void *env, u32 kind)
{
	return true;
}

static inline void gdl_trace(void *env, const struct gdl_decision *d)
{
	struct gdl_user_env *e = env;

	e->trace(e, d);
}

#endif /* GDL_ENV_USER_H */
