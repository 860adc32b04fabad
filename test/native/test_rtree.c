// SPDX-License-Identifier: GPL-2.0
/*
 * test_rtree.c - the range tree against a brute-force model
 *
 * The model is one mode byte per address of a small window per device.
 * Thousands of random grants, revokes and checks (short and long ranges,
 * touching and overlapping ones, several devices) run on both; after every
 * change the core's listing must be exactly the model's canonical form
 * (maximal runs of equal nonzero mode) and every check must agree.  One
 * window sits at address 0, one just below 2^64, where a range reaching
 * 2^64 must be refused.
 */
#include <stdlib.h>
#include "tap.h"
#include "helpers.h"

#define WIN_MAX	4096	/* bytes modelled per device, at most */
#define NDEV	3
#define AGENT	5

/* Mode of byte base + i of device d: m[d][i], for i < win. */
struct model {
	u64 base;
	int win;
	int short_only;	/* only short ranges: many intervals, many runs */
	u8 m[NDEV][WIN_MAX];
};

/* Runs of the model, in (device, start) order, as the core lists them. */
static size_t model_runs(const struct model *md, struct gdl_grant_view *out)
{
	size_t n = 0;
	u32 d;
	int i, j;

	for (d = 0; d < NDEV; d++) {
		for (i = 0; i < md->win; i = j) {
			for (j = i + 1; j < md->win &&
			     md->m[d][j] == md->m[d][i];
			     j++)
				;
			if (!md->m[d][i])
				continue;
			out[n].agent_id = AGENT;
			out[n].start = md->base + (u64)i;
			out[n].length = (u64)(j - i);
			out[n].device = d;
			out[n].mode = md->m[d][i];
			n++;
		}
	}
	return n;
}

static int model_check(const struct model *md, u32 d, int i, int len,
		       u32 mode)
{
	int k;

	for (k = i; k < i + len; k++)
		if ((md->m[d][k] & mode) != mode)
			return 0;
	return 1;
}

/* Compares the core's whole listing with the model; 1 if equal. */
static int compare_listing(struct tcore *t, const struct model *md)
{
	static struct gdl_grant_view want[NDEV * WIN_MAX];
	static struct gdl_grant_view got[NDEV * WIN_MAX + 8];
	struct gdl_cursor cur = { 0 };
	struct gdl_agent_info ai;
	size_t nw = model_runs(md, want), ng = 0;
	int r;

	while ((r = gdl_list_grants(t->c, AGENT, &cur, got + ng, 5)) > 0) {
		ng += (size_t)r;
		if (ng > NDEV * WIN_MAX)
			return 0;
	}
	if (gdl_agent_get(t->c, AGENT, &ai) || ai.grants != nw) {
		if (getenv("GDL_TEST_VERBOSE"))
			printf("#  count %llu, listed %zu, model %zu\n",
			       (unsigned long long)ai.grants, ng, nw);
		return 0;
	}
	if (nw == ng && !memcmp(want, got, nw * sizeof(want[0])))
		return 1;
	if (getenv("GDL_TEST_VERBOSE")) {
		size_t k;

		for (k = 0; k < nw || k < ng; k++)
			printf("#  want %u %llx+%llx %u | got %u %llx+%llx %u\n",
			       want[k].device, (unsigned long long)want[k].start,
			       (unsigned long long)want[k].length, want[k].mode,
			       got[k].device, (unsigned long long)got[k].start,
			       (unsigned long long)got[k].length, got[k].mode);
	}
	return 0;
}

/* A random range inside the window: mostly short, sometimes the window. */
static void pick(const struct model *md, int *i, int *len)
{
	u64 r = test_rand64();

	*i = (int)(r % (u64)md->win);
	switch ((r >> 8) % (md->short_only ? 2 : 4)) {
	case 0:
		*len = 1;
		break;
	case 1:
		*len = 1 + (int)((r >> 16) % 8);
		break;
	case 2:
		*len = 1 + (int)((r >> 16) % 40);
		break;
	default:
		*len = 1 + (int)((r >> 16) % (u64)md->win);
		break;
	}
	if (*i + *len > md->win)
		*len = md->win - *i;
}

static void run_diff(u64 base, int win, int short_only, u64 seed, int ops)
{
	struct tcore *t = tcore_new(0, 4, NDEV, 1000);
	struct model *md = calloc(1, sizeof(*md));
	struct gdl_agent_info ai;
	int op, bad_list = 0, bad_check = 0, bad_ret = 0;
	u64 most = 0;

	REQUIRE(t && md);
	/* GDL_TEST_SEED=n varies every run's seed, to search wider. */
	if (getenv("GDL_TEST_SEED"))
		seed ^= strtoull(getenv("GDL_TEST_SEED"), NULL, 0) *
			0x9e3779b97f4a7c15ull;
	md->base = base;
	md->win = win;
	md->short_only = short_only;
	test_seed(seed);
	printf("# window at %#llx, seed %#llx\n", (unsigned long long)base,
	       (unsigned long long)seed);
	EXPECT_EQ(gdl_agent_set(t->c, AGENT, 0, (1u << NDEV) - 1), 0);
	for (op = 0; op < ops; op++) {
		u64 r = test_rand64();
		u32 d = (u32)(r % NDEV), mode = 1 + (u32)((r >> 4) % 3);
		int i, len, k, ret, want_inval;

		pick(md, &i, &len);
		/* A range may not end at 2^64: the byte 2^64-1 is unusable. */
		want_inval = base + (u64)i + (u64)len == 0;
		switch ((r >> 8) % 3) {
		case 0:
			ret = gdl_grant(t->c, AGENT, d, base + (u64)i,
					(u64)len, mode);
			if (ret != (want_inval ? -EINVAL : 0))
				bad_ret++;
			for (k = i; k < i + len && !want_inval; k++)
				md->m[d][k] |= (u8)mode;
			break;
		case 1:
			ret = gdl_revoke(t->c, AGENT, d, base + (u64)i,
					 (u64)len, mode);
			if (ret != (want_inval ? -EINVAL : 0))
				bad_ret++;
			for (k = i; k < i + len && !want_inval; k++)
				md->m[d][k] &= (u8)~mode;
			break;
		default:
			ret = gdl_check(t->c, AGENT, d, base + (u64)i,
					(u64)len, mode);
			if (want_inval ? ret != -EINVAL :
			    ret != model_check(md, d, i, len, mode))
				bad_check++;
			continue;
		}
		if (!compare_listing(t, md) && bad_list++ < 3)
			printf("#   listing differs after op %d\n", op);
		if (!gdl_agent_get(t->c, AGENT, &ai) && ai.grants > most)
			most = ai.grants;
	}
	printf("# up to %llu intervals at once\n", (unsigned long long)most);
	EXPECT_EQ(bad_ret, 0);
	EXPECT_EQ(bad_check, 0);
	EXPECT_EQ(bad_list, 0);
	free(md);
	tcore_free(t);
}

static void test_diff_low(void)
{
	run_diff(0, 160, 0, 0x1234567, 6000);
}

static void test_diff_high(void)
{
	run_diff(0ull - 160, 160, 0, 0xabcdef01, 6000);
}

static void test_diff_middle(void)
{
	run_diff(1ull << 40, 160, 0, 0x5eed, 4000);
}

/* Hundreds of intervals per device: runs fill, split, even out, merge. */
static void test_diff_many_runs(void)
{
	run_diff(0, WIN_MAX, 1, 0xfeed, 5000);
	run_diff(1ull << 20, WIN_MAX, 0, 0xbeef, 3000);
}

/* Grants that never touch build a large tree; all checks stay exact. */
static void test_many_disjoint(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_agent_info ai;
	const int n = 20000;
	int i, bad = 0;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
	for (i = 0; i < n; i++)
		bad += gdl_grant(t->c, 1, 0, (u64)i * 4096, 2048, GDL_DMA_RW)
			!= 0;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, n);
	for (i = 0; i < n; i++) {
		u64 a = (u64)i * 4096;

		bad += gdl_check(t->c, 1, 0, a, 2048, GDL_DMA_RW) != 1;
		bad += gdl_check(t->c, 1, 0, a + 2047, 2, GDL_DMA_READ) != 0;
		bad += gdl_check(t->c, 1, 0, a + 2048, 1, GDL_DMA_READ) != 0;
	}
	EXPECT_EQ(bad, 0);
	/* Filling the gaps coalesces everything into one range. */
	for (i = 0; i < n; i++)
		bad += gdl_grant(t->c, 1, 0, (u64)i * 4096 + 2048, 2048,
				 GDL_DMA_RW) != 0;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, (u64)n * 4096, GDL_DMA_RW), 1);
	/* One revoke in the middle of the single range splits it. */
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, 4096, 1, GDL_DMA_WRITE), 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 3);
	tcore_free(t);
}

const struct tap_case rtree_cases[] = {
	{ "rtree: differential, window at 0", test_diff_low },
	{ "rtree: differential, window below 2^64", test_diff_high },
	{ "rtree: differential, window at 2^40", test_diff_middle },
	{ "rtree: differential, many intervals", test_diff_many_runs },
	{ "rtree: 20000 disjoint grants, then coalesced", test_many_disjoint },
	TAP_END
};
