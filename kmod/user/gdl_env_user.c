// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_env_user.c - out-of-line parts of the userspace environment:
 * RCU reader registration, allocation with failure injection, per-CPU
 * counters, randomness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
#include "gdl_env_user.h"

#define GDL_CACHELINE 64

/* RCU reader registration (see gdl_env_user.h) ------------------------ */

__thread bool gdl_rcu_registered;
static pthread_key_t gdl_rcu_key;
static pthread_once_t gdl_rcu_once = PTHREAD_ONCE_INIT;
static int gdl_rcu_key_err;
static long gdl_rcu_nreaders;

/*
 * Thread exit: leave urcu-memb's registry before the thread's TLS (which
 * holds the registry entry) goes away.  The flag is cleared so that a
 * later destructor calling into the core registers again (glibc then runs
 * this destructor once more).
 */
static void gdl_rcu_thread_exit(void *unused)
{
	gdl_rcu_registered = false;
	urcu_memb_unregister_thread();
	__atomic_fetch_sub(&gdl_rcu_nreaders, 1, __ATOMIC_RELAXED);
}

static void gdl_rcu_make_key(void)
{
	gdl_rcu_key_err = pthread_key_create(&gdl_rcu_key, gdl_rcu_thread_exit);
}

static void gdl_rcu_die(const char *what, int err)
{
	fprintf(stderr, "gdl: cannot register an RCU reader: %s: %s\n", what,
		strerror(err));
	abort();
}

void gdl_rcu_register(void)
{
	int err;

	gdl_rcu_registered = true;
	/* liburcu's own threads (call_rcu's worker) are registered already. */
	if (URCU_TLS(urcu_memb_reader).registered)
		return;
	pthread_once(&gdl_rcu_once, gdl_rcu_make_key);
	/*
	 * A reader we could not unregister at exit would leave a dangling
	 * registry entry: refuse to run rather than corrupt memory later.
	 */
	if (gdl_rcu_key_err)
		gdl_rcu_die("pthread_key_create", gdl_rcu_key_err);
	err = pthread_setspecific(gdl_rcu_key, &gdl_rcu_registered);
	if (err)
		gdl_rcu_die("pthread_setspecific", err);
	urcu_memb_register_thread();
	__atomic_fetch_add(&gdl_rcu_nreaders, 1, __ATOMIC_RELAXED);
}

long gdl_rcu_readers(void)
{
	return __atomic_load_n(&gdl_rcu_nreaders, __ATOMIC_RELAXED);
}

/* Callbacks past their grace period, linked through head.next.next. */
struct gdl_rcu_head *gdl_rcu_ready;
/* Threads running a list they took (gdl_rcu_barrier waits for them). */
static int gdl_rcu_reapers;

static struct gdl_rcu_head *ready_next(struct gdl_rcu_head *g)
{
	struct cds_wfcq_node *n = g->head.next.next;

	return n ? caa_container_of(caa_container_of(n, struct rcu_head, next),
				    struct gdl_rcu_head, head) : NULL;
}

/*
 * On liburcu's worker, after the grace period: hand the callback to the
 * writers.  liburcu is done with the head once it calls this, so its link
 * is ours to reuse.  Pushes never race a pop into ABA: a pop takes the
 * whole list (gdl_rcu_reap).
 */
void gdl_rcu_trampoline(struct rcu_head *h)
{
	struct gdl_rcu_head *g = caa_container_of(h, struct gdl_rcu_head, head);
	struct gdl_rcu_head *old = __atomic_load_n(&gdl_rcu_ready,
						   __ATOMIC_RELAXED);

	do
		g->head.next.next = old ? &old->head.next : NULL;
	while (!__atomic_compare_exchange_n(&gdl_rcu_ready, &old, g, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* Runs every callback that is ready, on this thread. */
void gdl_rcu_reap(void)
{
	struct gdl_rcu_head *g;

	__atomic_add_fetch(&gdl_rcu_reapers, 1, __ATOMIC_SEQ_CST);
	g = __atomic_exchange_n(&gdl_rcu_ready, NULL, __ATOMIC_ACQUIRE);
	while (g) {
		struct gdl_rcu_head *next = ready_next(g);

		g->fn(g);	/* may free g */
		g = next;
	}
	__atomic_sub_fetch(&gdl_rcu_reapers, 1, __ATOMIC_RELEASE);
}

/*
 * Every callback queued so far has run when this returns: liburcu's
 * barrier has handed them all over, this thread runs what is still on the
 * list, then waits for any writer that took part of it first.  (Not from
 * inside a callback, which would wait for itself.)
 */
void gdl_rcu_barrier(void)
{
	urcu_memb_barrier();
	gdl_rcu_reap();
	while (__atomic_load_n(&gdl_rcu_reapers, __ATOMIC_ACQUIRE))
		sched_yield();
}

/* >0: that many allocations from now, the last one fails. */
static long fault_countdown;
static long fault_allocs;
static bool fault_fired;

void gdl_fault_fail_nth(long n)
{
	__atomic_store_n(&fault_fired, false, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_countdown, n, __ATOMIC_SEQ_CST);
}

long gdl_fault_allocs(void)
{
	return __atomic_load_n(&fault_allocs, __ATOMIC_RELAXED);
}

bool gdl_fault_fired(void)
{
	return __atomic_load_n(&fault_fired, __ATOMIC_RELAXED);
}

/* True when this allocation is the one chosen to fail. */
static bool fault_should_fail(void)
{
	long left;

	__atomic_fetch_add(&fault_allocs, 1, __ATOMIC_RELAXED);
	left = __atomic_load_n(&fault_countdown, __ATOMIC_RELAXED);
	while (left > 0) {
		if (__atomic_compare_exchange_n(&fault_countdown, &left,
						left - 1, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			if (left == 1) {
				__atomic_store_n(&fault_fired, true,
						 __ATOMIC_RELAXED);
				return true;
			}
			return false;
		}
	}
	return false;
}

/*
 * Like kmalloc, whose power-of-two slabs align objects to their size,
 * large objects start on a cache line: the range tree relies on its node's
 * first 64 bytes sharing one line.  The alignment is done by hand over a
 * plain malloc (the raw pointer is kept just below the object):
 * posix_memalign's slow path doubled the cost of a grant.
 */
void *gdl_malloc(size_t n)
{
	size_t align = n < 256 ? 16 : GDL_CACHELINE;
	char *raw, *p;

	if (fault_should_fail())
		return NULL;
	raw = malloc(n + align);
	if (!raw)
		return NULL;
	p = (char *)(((uintptr_t)raw + sizeof(void *) + align - 1) &
		     ~(uintptr_t)(align - 1));
	((void **)p)[-1] = raw;
	return p;
}

void *gdl_zalloc(size_t n)
{
	void *p = gdl_malloc(n);

	return p ? memset(p, 0, n) : NULL;
}

void *gdl_kvzalloc(size_t n)
{
	if (fault_should_fail())
		return NULL;
	return calloc(1, n);
}

void gdl_zfree(void *p)
{
	if (p)
		free(((void **)p)[-1]);
}

void gdl_kvfree(void *p)
{
	free(p);
}

struct gdl_pcpu *gdl_pcpu_alloc(unsigned int n)
{
	struct gdl_pcpu *pc;
	unsigned int per_line = GDL_CACHELINE / sizeof(u64);
	int ncpu = get_nprocs_conf();
	size_t bytes;

	if (n == 0 || fault_should_fail())
		return NULL;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->n = n;
	pc->nslots = ncpu > 0 ? (unsigned int)ncpu : 1;
	pc->stride = (n + per_line - 1) / per_line * per_line;
	bytes = (size_t)pc->nslots * pc->stride * sizeof(u64);
	pc->v = aligned_alloc(GDL_CACHELINE, bytes);
	if (!pc->v) {
		free(pc);
		return NULL;
	}
	memset(pc->v, 0, bytes);
	return pc;
}

void gdl_pcpu_free(struct gdl_pcpu *pc)
{
	if (!pc)
		return;
	free(pc->v);
	free(pc);
}

u64 gdl_pcpu_sum(struct gdl_pcpu *pc, unsigned int idx)
{
	u64 sum = 0;
	unsigned int s;

	for (s = 0; s < pc->nslots; s++)
		sum += __atomic_load_n(&pc->v[s * pc->stride + idx],
				       __ATOMIC_RELAXED);
	return sum;
}

void gdl_pcpu_zero(struct gdl_pcpu *pc)
{
	unsigned int s, i;

	for (s = 0; s < pc->nslots; s++)
		for (i = 0; i < pc->n; i++)
			__atomic_store_n(&pc->v[s * pc->stride + i], 0,
					 __ATOMIC_RELAXED);
}

/* xorshift32 per thread: treap priorities need spread, not secrecy. */
u32 gdl_random_u32(void)
{
	static u32 seed_counter = 0x9e3779b9u;
	static __thread u32 state;
	u32 x = state;

	if (!x)
		x = __atomic_add_fetch(&seed_counter, 0x6d2b79f5u,
				       __ATOMIC_RELAXED) | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	state = x;
	return x;
}
