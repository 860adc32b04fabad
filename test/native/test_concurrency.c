// SPDX-License-Identifier: GPL-2.0
/*
 * test_concurrency.c - lock-free checks against a live writer, and
 * allocation accounting under contention
 */
#include <stdlib.h>
#include "tap.h"
#include "helpers.h"

#define AGENT		1
#define STABLE_START	0x10000ull	/* granted once, never revoked */
#define STABLE_LEN	0x1000ull
#define CHURN_BASE	0x100000ull	/* each round: its own 256 bytes */
#define ROUNDS		3000

struct rw_state {
	struct tcore *t;
	u64 revoked_upto;	/* rounds whose range is fully revoked */
	int stop;
	long stable_denied;
	long revoked_allowed;
	long checks;
};

static u64 round_start(u64 r)
{
	return CHURN_BASE + r * 256;
}

static void *reader(void *p)
{
	struct rw_state *s = p;
	u64 x = (u64)(uintptr_t)&x | 1;
	long n = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		u64 done = __atomic_load_n(&s->revoked_upto, __ATOMIC_ACQUIRE);
		u64 off;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off = x % STABLE_LEN;
		if (gdl_check(s->t->c, AGENT, 0, STABLE_START + off,
			      STABLE_LEN - off, GDL_DMA_RW) != 1)
			__atomic_fetch_add(&s->stable_denied, 1,
					   __ATOMIC_RELAXED);
		/* Revoked before we looked: must be denied, every byte. */
		if (done && gdl_check(s->t->c, AGENT, 0,
				      round_start(x % done) + (x >> 40) % 256,
				      1, GDL_DMA_READ) != 0)
			__atomic_fetch_add(&s->revoked_allowed, 1,
					   __ATOMIC_RELAXED);
		n++;
	}
	__atomic_fetch_add(&s->checks, n, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Readers check while one writer grants a round's range in pieces (which
 * coalesce), widens the stable range's neighbourhood, and revokes the
 * round in pieces (which split first), then publishes the round as done.
 */
static void test_checks_during_changes(void)
{
	struct rw_state s = { 0 };
	pthread_t th[2];
	u64 r;
	int i, bad = 0;

	s.t = tcore_new(0, 4, 1, 1000);
	REQUIRE(s.t);
	s.t->env.trace_mask = 0;
	EXPECT_EQ(gdl_agent_set(s.t->c, AGENT, 0, 1), 0);
	EXPECT_EQ(gdl_grant(s.t->c, AGENT, 0, STABLE_START, STABLE_LEN,
			    GDL_DMA_RW), 0);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, &s);
	for (r = 0; r < ROUNDS; r++) {
		u64 b = round_start(r);

		bad += gdl_grant(s.t->c, AGENT, 0, b, 128, GDL_DMA_READ) != 0;
		bad += gdl_grant(s.t->c, AGENT, 0, b + 128, 128,
				 GDL_DMA_RW) != 0;
		/* Touch the stable range's neighbours: copies its paths. */
		bad += gdl_grant(s.t->c, AGENT, 0, STABLE_START - 16, 16,
				 GDL_DMA_WRITE) != 0;
		bad += gdl_revoke(s.t->c, AGENT, 0, STABLE_START - 16, 16,
				  GDL_DMA_WRITE) != 0;
		bad += gdl_revoke(s.t->c, AGENT, 0, b + 64, 192,
				  GDL_DMA_RW) != 0;
		bad += gdl_revoke(s.t->c, AGENT, 0, b, 64, GDL_DMA_READ) != 0;
		__atomic_store_n(&s.revoked_upto, r + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("# %ld checks during %d rounds of changes\n", s.checks,
	       ROUNDS);
	EXPECT_EQ(bad, 0);
	EXPECT(s.checks > 0);
	EXPECT_EQ(s.stable_denied, 0);
	EXPECT_EQ(s.revoked_allowed, 0);
	tcore_free(s.t);
}

#define ALLOC_THREADS	3
#define ALLOC_ITERS	4000

struct alloc_state {
	struct tcore *t;
	int idx;
	long failures;
	long bad;
};

static void *allocator(void *p)
{
	struct alloc_state *s = p;
	struct gdl_owner o = { .pid = 100 + (u32)s->idx };
	u64 ids[16] = { 0 }, x = 0x9e3779b97f4a7c15ull * (u64)(s->idx + 1);
	int i, k;

	gdl_owner_init(s->t->c, &o);
	for (i = 0; i < ALLOC_ITERS; i++) {
		int ret;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (int)(x % 16);
		if (ids[k]) {
			s->bad += gdl_free(s->t->c, ids[k], 0) != 0;
			ids[k] = 0;
			continue;
		}
		/* Agent 1 is shared by all threads: quota contention. */
		ret = gdl_alloc(s->t->c, &o, 1 + (x >> 32) % 2,
				1 + (x >> 20) % 4096, 0, 0, &ids[k]);
		if (ret == -EDQUOT || ret == -ENOSPC)
			s->failures++;
		else
			s->bad += ret != 0;
	}
	/* Leave half behind: releasing the owner must return them. */
	for (k = 0; k < 8; k++)
		if (ids[k])
			s->bad += gdl_free(s->t->c, ids[k], 0) != 0;
	gdl_owner_release(s->t->c, &o);
	return NULL;
}

static void test_alloc_balance(void)
{
	struct alloc_state s[ALLOC_THREADS];
	pthread_t th[ALLOC_THREADS];
	struct gdl_agent_info ai;
	struct gdl_stats st;
	struct tcore *t = tcore_new(0, 4, 1, 30000);
	int i;

	REQUIRE(t);
	t->env.trace_mask = 0;
	EXPECT_EQ(gdl_agent_set(t->c, 1, 15000, 1), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 2, 1 << 30, 1), 0);
	for (i = 0; i < ALLOC_THREADS; i++) {
		s[i] = (struct alloc_state){ .t = t, .idx = i };
		pthread_create(&th[i], NULL, allocator, &s[i]);
	}
	for (i = 0; i < ALLOC_THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(s[i].bad, 0);
	}
	gdl_stats_read(t->c, &st);
	printf("# %llu allocations, %llu refused\n",
	       (unsigned long long)st.allocs,
	       (unsigned long long)st.alloc_failures);
	EXPECT(st.allocs > 0);
	EXPECT(st.alloc_failures > 0);	/* there was contention */
	EXPECT_EQ(st.live_allocations, 0);
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(st.allocs, st.frees);
	EXPECT_EQ(st.bytes_allocated, st.bytes_freed);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.used, 0);
	EXPECT_EQ(ai.allocations, 0);
	tcore_free(t);
}

/*
 * Threads of one process share its file, so its owner and that owner's one
 * spare record: ALLOC and FREE on it from several threads at once, each
 * FREE handing its record back as the spare and each ALLOC taking it or,
 * when another thread was first, allocating its own.  Nothing may be lost
 * or counted twice (and ASan sees no record leak or double free).
 */
#define SHARE_THREADS	4
#define SHARE_ITERS	20000

struct share_state {
	struct tcore *t;
	struct gdl_owner *o;
	long bad;
};

static void *sharer(void *p)
{
	struct share_state *s = p;
	int i;

	for (i = 0; i < SHARE_ITERS; i++) {
		u64 id;

		if (gdl_alloc(s->t->c, s->o, 1, 64, 0, 0, &id)) {
			s->bad++;
			continue;
		}
		s->bad += gdl_free_by(s->t->c, s->o, id, 1) != 0;
	}
	return NULL;
}

static void test_shared_owner_spare(void)
{
	struct share_state s[SHARE_THREADS];
	pthread_t th[SHARE_THREADS];
	struct gdl_owner o = { .pid = 300 };
	struct tcore *t = tcore_new(0, 4, 1, 1 << 20);
	struct gdl_stats st;
	int i;

	REQUIRE(t);
	t->env.trace_mask = 0;
	EXPECT_EQ(gdl_agent_set(t->c, 1, 1 << 20, 1), 0);
	gdl_owner_init(t->c, &o);
	for (i = 0; i < SHARE_THREADS; i++) {
		s[i] = (struct share_state){ .t = t, .o = &o };
		pthread_create(&th[i], NULL, sharer, &s[i]);
	}
	for (i = 0; i < SHARE_THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(s[i].bad, 0);
	}
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.allocs, (u64)SHARE_THREADS * SHARE_ITERS);
	EXPECT_EQ(st.frees, st.allocs);
	EXPECT_EQ(st.live_allocations, 0);
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(o.nallocs, 0);
	EXPECT_EQ(o.bytes, 0);
	gdl_owner_release(t->c, &o);
	tcore_free(t);
}

/* Agents removed and re-created while others allocate to and grant them. */
static void *churner(void *p)
{
	struct alloc_state *s = p;
	u64 id;
	int i;

	for (i = 0; i < 2000; i++) {
		int ret = gdl_alloc(s->t->c, NULL, 7, 1, 0,
				    GDL_ALLOC_PERSISTENT, &id);

		if (!ret)
			s->bad += gdl_free(s->t->c, id, 0) != 0;
		else if (ret != -ENOENT)
			s->bad++;
		ret = gdl_grant(s->t->c, 7, 0, (u64)i * 8, 4, GDL_DMA_READ);
		s->bad += ret != 0 && ret != -ENOENT;
		ret = gdl_check(s->t->c, 7, 0, (u64)i * 8, 4, GDL_DMA_READ);
		s->bad += ret < 0;
	}
	return NULL;
}

static void test_agent_churn(void)
{
	struct alloc_state s = { 0 };
	struct tcore *t = tcore_new(0, 4, 1, 1 << 20);
	pthread_t th;
	int i, removed = 0;

	REQUIRE(t);
	t->env.trace_mask = 0;
	s.t = t;
	pthread_create(&th, NULL, churner, &s);
	for (i = 0; i < 2000; i++) {
		int ret;

		gdl_agent_set(t->c, 7, 1 << 20, 1);
		ret = gdl_agent_remove(t->c, 7);
		EXPECT(ret == 0 || ret == -EBUSY);
		removed += ret == 0;
	}
	pthread_join(th, NULL);
	EXPECT_EQ(s.bad, 0);
	EXPECT(removed > 0);
	tcore_free(t);
}

/*
 * RCU readers register themselves (urcu-memb) on first use and leave at
 * thread exit.  Short-lived threads whose first call is a check, a grant
 * (call_rcu) or a revoke come and go; afterwards none is still registered,
 * and grace periods and the final rcu_barrier complete.
 */
#define SHORT_THREADS	24

struct short_state {
	struct tcore *t;
	int idx;
	long bad;
};

static void *short_lived(void *p)
{
	struct short_state *s = p;
	u64 base = 0x40000000ull + (u64)s->idx * 0x10000;

	switch (s->idx % 3) {
	case 0:		/* first call: a read-side section */
		s->bad += gdl_check(s->t->c, AGENT, 0, STABLE_START, 16,
				    GDL_DMA_READ) != 1;
		break;
	case 1:		/* first call: a grant, which queues call_rcu */
		s->bad += gdl_grant(s->t->c, AGENT, 0, base, 4096,
				    GDL_DMA_RW) != 0;
		break;
	default:	/* grant + revoke, then a check */
		s->bad += gdl_grant(s->t->c, AGENT, 0, base, 4096,
				    GDL_DMA_READ) != 0;
		s->bad += gdl_revoke(s->t->c, AGENT, 0, base, 4096,
				     GDL_DMA_READ) != 0;
		s->bad += gdl_check(s->t->c, AGENT, 0, base, 1,
				    GDL_DMA_READ) != 0;
		break;
	}
	s->bad += !gdl_rcu_registered;
	return NULL;
}

static int cb_registered;

static void reader_in_callback(struct gdl_rcu_head *h)
{
	/* On the thread that ran the barrier, registered by its grant. */
	gdl_rcu_read_lock();
	__atomic_store_n(&cb_registered, gdl_rcu_registered ? 1 : -1,
			 __ATOMIC_RELEASE);
	gdl_rcu_read_unlock();
}

static void test_reader_registration(void)
{
	struct short_state s[SHORT_THREADS];
	pthread_t th[SHORT_THREADS];
	struct gdl_rcu_head head;
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	long before;
	int i, round;

	REQUIRE(t);
	t->env.trace_mask = 0;
	EXPECT_EQ(gdl_agent_set(t->c, AGENT, 0, 1), 0);
	EXPECT_EQ(gdl_grant(t->c, AGENT, 0, STABLE_START, STABLE_LEN,
			    GDL_DMA_RW), 0);
	EXPECT(gdl_rcu_registered);	/* this thread: by the grant */
	before = gdl_rcu_readers();
	/* Rounds of 6 concurrent threads: exits interleave with updates. */
	for (round = 0; round < SHORT_THREADS / 6; round++) {
		for (i = round * 6; i < round * 6 + 6; i++) {
			s[i] = (struct short_state){ .t = t, .idx = i };
			EXPECT_EQ(pthread_create(&th[i], NULL, short_lived,
						 &s[i]), 0);
		}
		for (i = round * 6; i < round * 6 + 6; i++) {
			pthread_join(th[i], NULL);
			EXPECT_EQ(s[i].bad, 0);
		}
		gdl_synchronize_rcu();	/* waits on no dead thread */
	}
	EXPECT_EQ(gdl_rcu_readers(), before);
	/* A callback reads under RCU without a second register. */
	gdl_call_rcu(&head, reader_in_callback);
	gdl_rcu_barrier();
	EXPECT_EQ(__atomic_load_n(&cb_registered, __ATOMIC_ACQUIRE), 1);
	EXPECT_EQ(gdl_rcu_readers(), before);
	EXPECT_EQ(gdl_check(t->c, AGENT, 0, 0x40000000ull + 0x10000, 4096,
			    GDL_DMA_RW), 1);
	tcore_free(t);		/* rcu_barrier */
}

/*
 * RCU callbacks run on a writer's thread: liburcu's worker only hands them
 * over after the grace period, and the next gdl_call_rcu() runs them.
 * (On the worker, their free() fought the writers' malloc() for glibc's
 * arena lock: a grant cost five times as much on two CPUs.)
 */
static pthread_t cb_thread;
static int cb_ran;

static void note_thread(struct gdl_rcu_head *h)
{
	cb_thread = pthread_self();
	__atomic_store_n(&cb_ran, 1, __ATOMIC_RELEASE);
}

static void nothing(struct gdl_rcu_head *h)
{
}

static void test_callbacks_on_writers(void)
{
	struct gdl_rcu_head first, second;
	int ms;

	gdl_rcu_barrier();	/* nothing queued, nothing ready */
	EXPECT(!__atomic_load_n(&gdl_rcu_ready, __ATOMIC_ACQUIRE));
	gdl_call_rcu(&first, note_thread);
	gdl_synchronize_rcu();
	for (ms = 0; ms < 5000; ms++) {
		if (__atomic_load_n(&gdl_rcu_ready, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	EXPECT(__atomic_load_n(&gdl_rcu_ready, __ATOMIC_ACQUIRE));
	EXPECT_EQ(__atomic_load_n(&cb_ran, __ATOMIC_ACQUIRE), 0);
	gdl_call_rcu(&second, nothing);	/* runs what is ready, here */
	EXPECT_EQ(__atomic_load_n(&cb_ran, __ATOMIC_ACQUIRE), 1);
	EXPECT(pthread_equal(cb_thread, pthread_self()));
	gdl_rcu_barrier();
	EXPECT(!__atomic_load_n(&gdl_rcu_ready, __ATOMIC_ACQUIRE));
}

const struct tap_case concurrency_cases[] = {
	{ "concurrency: checks during grants and revokes",
	  test_checks_during_changes },
	{ "concurrency: allocation balance", test_alloc_balance },
	{ "concurrency: threads share one owner's spare record",
	  test_shared_owner_spare },
	{ "concurrency: agents removed while in use", test_agent_churn },
	{ "concurrency: RCU readers register and leave by themselves",
	  test_reader_registration },
	{ "concurrency: RCU callbacks run on the writers' threads",
	  test_callbacks_on_writers },
	TAP_END
};
