// SPDX-License-Identifier: GPL-2.0
/*
 * test_faults.c - every allocation of every mutating operation, failed
 *
 * For each operation: fail its 1st allocation, then its 2nd, ... until it
 * succeeds.  After each failure the whole observable state (listings,
 * device usage, stats) must equal the state before, and nothing may leak
 * (LeakSanitizer checks at exit; ASan catches a use of anything freed).
 */
#include <stdlib.h>
#include "tap.h"
#include "helpers.h"
#include "libgdlcore.h"

typedef int (*mutation_fn)(struct tcore *t, void *arg);

/*
 * Runs @fn under failure injection on @t.  Returns the number of failures
 * injected before it succeeded, or -1 if it never succeeded in 1000 steps.
 */
static int walk_faults(struct tcore *t, mutation_fn fn, void *arg,
		       int ignore_failures, const char *what)
{
	int n, ret, bad = 0;

	for (n = 1; n < 1000; n++) {
		struct snap before, after;
		int fired;

		snap_take(t->c, &before);
		gdl_fault_fail_nth(n);
		ret = fn(t, arg);
		fired = gdl_fault_fired();
		gdl_fault_fail_nth(0);
		if (!fired) {
			snap_free(&before);
			if (ret < 0) {
				printf("#   %s: failed without a fault: %d\n",
				       what, ret);
				tap_case_failures++;
			}
			return bad ? -1 : n - 1;
		}
		snap_take(t->c, &after);
		if (ret != -ENOMEM) {
			printf("#   %s: fault %d returned %d\n", what, n, ret);
			bad++;
		}
		if (!snap_equal(&before, &after, ignore_failures)) {
			printf("#   %s: state changed by fault %d\n", what, n);
			bad++;
		}
		snap_free(&before);
		snap_free(&after);
	}
	return -1;
}

struct range_arg {
	u64 agent;
	u32 dev;
	u64 start, len;
	u32 mode;
};

static int do_grant(struct tcore *t, void *p)
{
	struct range_arg *a = p;

	return gdl_grant(t->c, a->agent, a->dev, a->start, a->len, a->mode);
}

static int do_revoke(struct tcore *t, void *p)
{
	struct range_arg *a = p;

	return gdl_revoke(t->c, a->agent, a->dev, a->start, a->len, a->mode);
}

static int do_alloc(struct tcore *t, void *p)
{
	u64 *agent = p, id;

	return gdl_alloc(t->c, &t->owner, *agent, 100, 0, 0, &id);
}

static int do_agent_set(struct tcore *t, void *p)
{
	return gdl_agent_set(t->c, *(u64 *)p, 1000, 1);
}

static int do_free(struct tcore *t, void *p)
{
	return gdl_free(t->c, *(u64 *)p, 0);
}

static int do_remove(struct tcore *t, void *p)
{
	return gdl_agent_remove(t->c, *(u64 *)p);
}

static void test_fault_ranges(void)
{
	struct tcore *t = tcore_new(0, 4, 2, 1000);
	struct range_arg ops[] = {
		/* into an empty tree */
		{ 1, 0, 0x1000, 0x1000, GDL_DMA_READ },
		/* overlapping many, filling gaps */
		{ 1, 0, 0, 0x100000, GDL_DMA_WRITE },
		/* a grant on the other device, inside */
		{ 1, 1, 0x5000, 0x10, GDL_DMA_RW },
	};
	struct range_arg rv[] = {
		/* splits one range in three */
		{ 1, 0, 0x8000, 0x10, GDL_DMA_WRITE },
		/* clears a span covering several */
		{ 1, 0, 0x2000, 0x40000, GDL_DMA_RW },
		/* nothing there */
		{ 1, 1, 0x900000, 0x10, GDL_DMA_RW },
	};
	size_t i;
	int k, total = 0;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 3), 0);
	/* A tree with some depth, so paths get copied. */
	for (k = 0; k < 300; k++)
		EXPECT_EQ(gdl_grant(t->c, 1, 0, (u64)k * 0x3000, 0x800,
				    1 + (u32)(k % 3)), 0);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		k = walk_faults(t, do_grant, &ops[i], 0, "grant");
		EXPECT(k > 0);
		total += k;
	}
	for (i = 0; i < sizeof(rv) / sizeof(rv[0]); i++) {
		k = walk_faults(t, do_revoke, &rv[i], 0, "revoke");
		EXPECT(k >= 0);
		total += k;
	}
	printf("# %d faults injected into grants and revokes\n", total);
	tcore_free(t);
}

static void test_fault_alloc_and_agents(void)
{
	struct tcore *t = tcore_new(1000, 8, 1, 10000);
	u64 known = 3, unknown = 9, fresh = 4;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, known, 1000, 1), 0);
	/* Record allocation fails. */
	EXPECT_EQ(walk_faults(t, do_alloc, &known, 1, "alloc"), 1);
	/* Record, then the auto-created agent. */
	EXPECT_EQ(walk_faults(t, do_alloc, &unknown, 1, "alloc auto"), 2);
	EXPECT_EQ(walk_faults(t, do_agent_set, &fresh, 0, "agent new"), 1);
	/* Updating an existing agent allocates nothing. */
	EXPECT_EQ(walk_faults(t, do_agent_set, &fresh, 0, "agent upd"), 0);
	/* Releases never allocate: they cannot fail half-way. */
	EXPECT_EQ(walk_faults(t, do_free, &(u64){ 1 }, 0, "free"), 0);
	EXPECT_EQ(walk_faults(t, do_remove, &fresh, 0, "remove"), 0);
	tcore_free(t);
}

static void test_fault_create(void)
{
	struct gdl_core_params p = { .max_agents = 8 };
	struct gdl_core *c;
	int n;

	for (n = 1; n < 100; n++) {
		gdl_fault_fail_nth(n);
		c = gdl_core_create(&p);
		if (!gdl_fault_fired()) {
			gdl_fault_fail_nth(0);
			EXPECT(c != NULL);
			gdl_core_destroy(c);
			break;
		}
		gdl_fault_fail_nth(0);
		EXPECT(c == NULL);
	}
	EXPECT_EQ(n, 6);	/* core, three hashes, per-CPU counters */
}

static void test_fault_library(void)
{
	struct gdlu *h;
	int n;

	for (n = 1; n < 100; n++) {
		gdl_fault_fail_nth(n);
		h = gdlu_create(10, 4);
		if (!gdl_fault_fired()) {
			gdl_fault_fail_nth(0);
			EXPECT(h != NULL);
			break;
		}
		gdl_fault_fail_nth(0);
		EXPECT(h == NULL);
	}
	REQUIRE(h);
	EXPECT_EQ(n, 7);	/* handle, then the core's six */
	gdlu_destroy(h);
}

const struct tap_case fault_cases[] = {
	{ "faults: grants and revokes", test_fault_ranges },
	{ "faults: allocations and agents", test_fault_alloc_and_agents },
	{ "faults: core creation", test_fault_create },
	{ "faults: library handle", test_fault_library },
	TAP_END
};
