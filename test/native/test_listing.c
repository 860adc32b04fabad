// SPDX-License-Identifier: GPL-2.0
/*
 * test_listing.c - big listings: every record exactly once, in pages
 */
#include <stdlib.h>
#include "tap.h"
#include "helpers.h"

#define NALLOC	100000

static void test_100k_allocations(void)
{
	struct tcore *t = tcore_new(0, 8, 2, 1ull << 40);
	struct gdl_alloc_view *v = calloc(97, sizeof(*v));
	unsigned char *seen = calloc(NALLOC + 1, 1);
	struct gdl_cursor cur = { 0 };
	long listed = 0, dup = 0, wrong = 0, mine = 0;
	u64 id;
	int i, n;

	REQUIRE(t && v && seen);
	t->env.trace_mask = 0;
	EXPECT_EQ(gdl_agent_set(t->c, 1, 1ull << 40, 3), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 2, 1ull << 40, 3), 0);
	for (i = 0; i < NALLOC; i++) {
		if (gdl_alloc(t->c, i % 3 ? &t->owner : NULL, 1 + i % 2,
			      1 + (u64)i, (u32)(i % 2),
			      i % 3 ? 0 : GDL_ALLOC_PERSISTENT, &id)) {
			wrong++;
			break;
		}
	}
	EXPECT_EQ(wrong, 0);
	while ((n = gdl_list_allocs(t->c, 0, &cur, v, 97)) > 0) {
		for (i = 0; i < n; i++) {
			if (!v[i].alloc_id || v[i].alloc_id > NALLOC) {
				wrong++;
				continue;
			}
			dup += seen[v[i].alloc_id]++ != 0;
			/* id k is the (k-1)th allocation: size k. */
			wrong += v[i].size != v[i].alloc_id;
			wrong += v[i].agent_id != 1 + (v[i].alloc_id - 1) % 2;
		}
		listed += n;
	}
	EXPECT_EQ(listed, NALLOC);
	EXPECT_EQ(dup, 0);
	EXPECT_EQ(wrong, 0);
	memset(&cur, 0, sizeof(cur));
	while ((n = gdl_list_allocs(t->c, 2, &cur, v, 97)) > 0) {
		for (i = 0; i < n; i++)
			wrong += v[i].agent_id != 2;
		mine += n;
	}
	EXPECT_EQ(mine, NALLOC / 2);
	EXPECT_EQ(wrong, 0);
	/* Unknown ids below and above the ones in their chain. */
	EXPECT_EQ(gdl_free(t->c, 0, 0), -ENOENT);
	EXPECT_EQ(gdl_free(t->c, NALLOC + 8192, 0), -ENOENT);
	free(v);
	free(seen);
	tcore_free(t);
}

static void test_grants_many_agents(void)
{
	struct tcore *t = tcore_new(0, 300, 1, 1);
	struct gdl_grant_view v[13];
	struct gdl_cursor cur = { 0 };
	long listed = 0, wrong = 0;
	u64 last_agent = 0, last_start = 0;
	int a, k, n, i;

	REQUIRE(t);
	t->env.trace_mask = 0;
	for (a = 1; a <= 300; a++) {
		gdl_agent_set(t->c, (u64)a, 0, 1);
		for (k = 0; k < a % 7; k++)
			gdl_grant(t->c, (u64)a, 0, (u64)k * 100, 10,
				  GDL_DMA_READ);
	}
	while ((n = gdl_list_grants(t->c, 0, &cur, v, 13)) > 0) {
		for (i = 0; i < n; i++) {
			/* Within an agent, ascending starts of its own. */
			if (v[i].agent_id == last_agent)
				wrong += v[i].start <= last_start;
			wrong += v[i].start != v[i].start / 100 * 100;
			wrong += v[i].start / 100 >= v[i].agent_id % 7;
			last_agent = v[i].agent_id;
			last_start = v[i].start;
		}
		listed += n;
	}
	/* sum over a = 1..300 of a % 7 */
	for (a = 1, k = 0; a <= 300; a++)
		k += a % 7;
	EXPECT_EQ(listed, k);
	EXPECT_EQ(wrong, 0);
	tcore_free(t);
}

const struct tap_case listing_cases[] = {
	{ "listing: 100000 allocations exactly once", test_100k_allocations },
	{ "listing: grants of 300 agents", test_grants_many_agents },
	TAP_END
};
