/* SPDX-License-Identifier: GPL-2.0 */
/*
 * helpers.h - fixtures shared by the native tests: a core with devices and
 * a decision recorder, and whole-state snapshots to prove "unchanged".
 */
#ifndef GDL_TEST_HELPERS_H
#define GDL_TEST_HELPERS_H

#include <pthread.h>
#include "gdl_core.h"

#define TREC_MAX 64

/**
 * struct tcore - a core under test
 * @c:     the core
 * @env:   its userspace environment (decisions land in @rec)
 * @owner: an owner registered at creation
 * @lock:  protects @rec and @nrec
 * @rec:   the last TREC_MAX decisions
 * @nrec:  decisions seen in all
 */
struct tcore {
	struct gdl_core *c;
	struct gdl_user_env env;
	struct gdl_owner owner;
	pthread_mutex_t lock;
	struct gdl_decision rec[TREC_MAX];
	unsigned long nrec;
};

/* @ndev devices of @capacity bytes each; every decision kind recorded. */
struct tcore *tcore_new(u64 default_quota, u32 max_agents, u32 ndev,
			u64 capacity);
void tcore_free(struct tcore *t);
/* The most recent decision, or a zeroed one if none. */
struct gdl_decision tcore_last(struct tcore *t);

/**
 * struct snap - everything observable about a core
 */
struct snap {
	struct gdl_agent_view *agents;
	size_t nagents;
	struct gdl_alloc_view *allocs;
	size_t nallocs;
	struct gdl_grant_view *grants;
	size_t ngrants;
	struct gdl_owner_view *owners;
	size_t nowners;
	struct gdl_device_info dev[GDL_MAX_DEVICES];
	u32 ndev;
	struct gdl_stats stats;
};

void snap_take(struct gdl_core *c, struct snap *s);
/* 1 if equal; alloc_failures is ignored when @ignore_failures is set. */
int snap_equal(const struct snap *a, const struct snap *b,
	       int ignore_failures);
void snap_free(struct snap *s);

u64 test_rand64(void);
void test_seed(u64 seed);

#endif /* GDL_TEST_HELPERS_H */
