// SPDX-License-Identifier: GPL-2.0
/* helpers.c - see helpers.h */
#include <stdio.h>
#include <stdlib.h>
#include "helpers.h"

static void tcore_trace(struct gdl_user_env *env, const struct gdl_decision *d)
{
	struct tcore *t = container_of(env, struct tcore, env);

	pthread_mutex_lock(&t->lock);
	t->rec[t->nrec % TREC_MAX] = *d;
	t->nrec++;
	pthread_mutex_unlock(&t->lock);
}

struct tcore *tcore_new(u64 default_quota, u32 max_agents, u32 ndev,
			u64 capacity)
{
	struct tcore *t = calloc(1, sizeof(*t));
	struct gdl_core_params p = {
		.default_quota = default_quota,
		.max_agents = max_agents,
	};
	u32 i;

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->env.trace = tcore_trace;
	t->env.trace_mask = ~0u;
	p.env = &t->env;
	t->c = gdl_core_create(&p);
	if (!t->c) {
		free(t);
		return NULL;
	}
	for (i = 0; i < ndev; i++) {
		struct gdl_device_desc d = { .capacity = capacity,
					     .kind = GDL_DEVICE_FAKE };

		snprintf(d.name, sizeof(d.name), "fake%u", i);
		gdl_core_add_device(t->c, &d);
	}
	t->owner.pid = 4242;
	snprintf(t->owner.comm, sizeof(t->owner.comm), "tester");
	gdl_owner_init(t->c, &t->owner);
	return t;
}

void tcore_free(struct tcore *t)
{
	gdl_owner_release(t->c, &t->owner);
	gdl_core_destroy(t->c);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct gdl_decision tcore_last(struct tcore *t)
{
	struct gdl_decision d = { 0 };

	pthread_mutex_lock(&t->lock);
	if (t->nrec)
		d = t->rec[(t->nrec - 1) % TREC_MAX];
	pthread_mutex_unlock(&t->lock);
	return d;
}

/* Lists with a small page size, so cursors are exercised too. */
#define SNAP_LIST(fn, type, field, nfield, ...) do {			\
	struct gdl_cursor cur = { 0 };					\
	size_t cap = 16;						\
	int got;							\
	s->field = malloc(cap * sizeof(type));				\
	s->nfield = 0;							\
	for (;;) {							\
		if (s->nfield + 7 > cap) {				\
			cap *= 2;					\
			s->field = realloc(s->field, cap * sizeof(type)); \
		}							\
		got = fn(c, ##__VA_ARGS__, &cur, s->field + s->nfield, 7); \
		if (got <= 0)						\
			break;						\
		s->nfield += (size_t)got;				\
	}								\
} while (0)

void snap_take(struct gdl_core *c, struct snap *s)
{
	u32 i;

	memset(s, 0, sizeof(*s));
	SNAP_LIST(gdl_list_agents, struct gdl_agent_view, agents, nagents);
	SNAP_LIST(gdl_list_allocs, struct gdl_alloc_view, allocs, nallocs, 0);
	SNAP_LIST(gdl_list_grants, struct gdl_grant_view, grants, ngrants, 0);
	SNAP_LIST(gdl_list_owners, struct gdl_owner_view, owners, nowners);
	s->ndev = gdl_core_num_devices(c);
	for (i = 0; i < s->ndev; i++)
		gdl_core_device_info(c, i, &s->dev[i]);
	gdl_stats_read(c, &s->stats);
}

#define SAME(f, n) ((a->n == b->n) && \
	(!a->n || !memcmp(a->f, b->f, a->n * sizeof(*a->f))))

int snap_equal(const struct snap *a, const struct snap *b,
	       int ignore_failures)
{
	struct gdl_stats sa = a->stats, sb = b->stats;

	if (ignore_failures)
		sa.alloc_failures = sb.alloc_failures = 0;
	return SAME(agents, nagents) && SAME(allocs, nallocs) &&
	       SAME(grants, ngrants) && SAME(owners, nowners) &&
	       a->ndev == b->ndev &&
	       !memcmp(a->dev, b->dev, sizeof(a->dev)) &&
	       !memcmp(&sa, &sb, sizeof(sa));
}

void snap_free(struct snap *s)
{
	free(s->agents);
	free(s->allocs);
	free(s->grants);
	free(s->owners);
}

static u64 rng_state = 0x243f6a8885a308d3ull;

void test_seed(u64 seed)
{
	rng_state = seed ? seed : 1;
}

/* xorshift64*: reproducible from the seed printed by each test. */
u64 test_rand64(void)
{
	u64 x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}
