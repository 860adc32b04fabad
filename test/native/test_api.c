// SPDX-License-Identifier: GPL-2.0
/*
 * test_api.c - every function of gdl_core.h, every documented error
 */
#include <stdlib.h>
#include "tap.h"
#include "helpers.h"

#define MiB (1ull << 20)
#define R GDL_DMA_READ
#define W GDL_DMA_WRITE
#define RW GDL_DMA_RW

static void test_create_params(void)
{
	struct gdl_core_params p = { .max_agents = 0 };
	struct gdl_core *c;

	EXPECT(gdl_core_create(NULL) == NULL);
	EXPECT(gdl_core_create(&p) == NULL);
	p.max_agents = 1u << 20;	/* hash capped, still fine */
	c = gdl_core_create(&p);
	REQUIRE(c);
	EXPECT_EQ(gdl_core_num_devices(c), 0);
	gdl_core_destroy(c);
	gdl_core_destroy(NULL);
}

static void test_devices(void)
{
	struct gdl_core_params p = { .max_agents = 4 };
	struct gdl_core *c = gdl_core_create(&p);
	struct gdl_device_desc d = { .capacity = 100, .kind = GDL_DEVICE_PCI,
				     .pci_domain = 1, .pci_bdf = 0x6500,
				     .pci_id = 0x10de2330 };
	struct gdl_device_info info;
	struct gdl_stats st;
	int i;

	REQUIRE(c);
	memset(d.name, 'x', sizeof(d.name));	/* not terminated */
	for (i = 0; i < GDL_MAX_DEVICES; i++)
		EXPECT_EQ(gdl_core_add_device(c, &d), i);
	EXPECT_EQ(gdl_core_add_device(c, &d), -ENOSPC);
	EXPECT_EQ(gdl_core_num_devices(c), GDL_MAX_DEVICES);
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(gdl_core_device_info(c, 63, &info), 0);
	EXPECT_EQ(info.index, 63);
	EXPECT_EQ(info.flags, 0);
	EXPECT_EQ(info.capacity, 100);
	EXPECT_EQ(info.used, 0);
	EXPECT_EQ(info.kind, GDL_DEVICE_PCI);
	EXPECT_EQ(info.pci_domain, 1);
	EXPECT_EQ(info.pci_bdf, 0x6500);
	EXPECT_EQ(info.pci_id, 0x10de2330);
	EXPECT_EQ(info.name[31], 0);
	EXPECT_EQ(info.name[30], 'x');
	EXPECT_EQ(gdl_core_device_info(c, 64, &info), -ENODEV);
	gdl_stats_read(c, &st);
	EXPECT_EQ(st.capacity_bytes, 6400);
	/* An all-devices agent on 64 devices: the mask is every bit. */
	gdl_core_destroy(c);

	p.default_quota = 10;
	c = gdl_core_create(&p);
	REQUIRE(c);
	d.capacity = ~0ull;
	gdl_core_add_device(c, &d);
	gdl_core_add_device(c, &d);
	gdl_stats_read(c, &st);
	EXPECT(st.capacity_bytes == ~0ull);	/* saturates */
	gdl_core_destroy(c);
}

static void test_all_devices_mask(void)
{
	struct tcore *t = tcore_new(MiB, 4, GDL_MAX_DEVICES, MiB);
	struct gdl_agent_info ai;
	u64 id;

	REQUIRE(t);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 7, 1, 63, 0, &id), 0);
	EXPECT_EQ(gdl_agent_get(t->c, 7, &ai), 0);
	EXPECT(ai.device_mask == ~0ull);
	tcore_free(t);
}

static void test_agent_set_get(void)
{
	struct tcore *t = tcore_new(0, 2, 2, MiB);
	struct gdl_agent_info ai;
	struct gdl_stats st;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 0, 1, 1), -EINVAL);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), -ENOENT);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 100, 1), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 2, 200, 3), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 3, 300, 3), -ENOSPC);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 150, 2), 0);	/* update: no slot */
	memset(&ai, 0xff, sizeof(ai));
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.agent_id, 1);
	EXPECT_EQ(ai.quota, 150);
	EXPECT_EQ(ai.device_mask, 2);
	EXPECT_EQ(ai.used, 0);
	EXPECT_EQ(ai.allocations, 0);
	EXPECT_EQ(ai.grants, 0);
	EXPECT_EQ(ai.flags, 0);
	EXPECT_EQ(ai.pad, 0);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.agents, 2);
	EXPECT_EQ(gdl_agent_get(t->c, 3, &ai), -ENOENT);
	tcore_free(t);
}

/* More agents than chains: lookups and removals walk sorted chains. */
static void test_agent_chains(void)
{
	struct tcore *t = tcore_new(0, 64, 1, 1);
	struct gdl_agent_info ai;
	int i, bad = 0;

	REQUIRE(t);
	for (i = 0; i < 64; i++)
		bad += gdl_agent_set(t->c, 1000 + (u64)i * 7919, (u64)i, 1) != 0;
	for (i = 0; i < 64; i++) {
		bad += gdl_agent_get(t->c, 1000 + (u64)i * 7919, &ai) != 0;
		bad += ai.quota != (u64)i;
		bad += gdl_agent_get(t->c, 1001 + (u64)i * 7919, &ai) !=
			-ENOENT;
	}
	for (i = 63; i >= 0; i -= 2)
		bad += gdl_agent_remove(t->c, 1000 + (u64)i * 7919) != 0;
	for (i = 0; i < 64; i++)
		bad += gdl_agent_get(t->c, 1000 + (u64)i * 7919, &ai) !=
			(i % 2 ? -ENOENT : 0);
	EXPECT_EQ(bad, 0);
	tcore_free(t);
}

static void test_agent_remove(void)
{
	struct tcore *t = tcore_new(0, 2, 1, MiB);
	struct gdl_agent_info ai;
	struct gdl_stats st;
	u64 id;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_remove(t->c, 1), -ENOENT);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 100, 1), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 2, 100, 1), 0);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0, 4096, RW), 0);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1, 10, 0, 0, &id), 0);
	EXPECT_EQ(gdl_agent_remove(t->c, 1), -EBUSY);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 1);
	EXPECT_EQ(gdl_free(t->c, id, 0), 0);
	EXPECT_EQ(gdl_agent_remove(t->c, 1), 0);
	EXPECT_EQ(gdl_agent_remove(t->c, 1), -ENOENT);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), -ENOENT);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, 1, R), GDL_CHECK_DENIED);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.agents, 1);
	/* The slot is free again, and the grants did not come back. */
	EXPECT_EQ(gdl_agent_set(t->c, 3, 100, 1), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 100, 1), -ENOSPC);
	EXPECT_EQ(gdl_agent_remove(t->c, 3), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 100, 1), 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, 1, R), GDL_CHECK_DENIED);
	tcore_free(t);
}

static void test_alloc_errors_in_order(void)
{
	struct tcore *t = tcore_new(0, 4, 2, 1000);
	struct gdl_decision d;
	struct gdl_stats st;
	u64 id = 0;

	REQUIRE(t);
	/* -EINVAL comes first, even with everything else wrong too. */
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 0, 9, 0, &id), -EINVAL);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 1, 9, 2, &id), -EINVAL);
	EXPECT_EQ(gdl_alloc(t->c, NULL, 9, 1, 9, 0, &id), -EINVAL);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_ALLOC_FAIL);
	EXPECT_EQ(d.result, -EINVAL);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 1, 2, 0, &id), -ENODEV);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 1, 0, 0, &id), -ENOENT);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 0, 1, 0, 0, &id), -ENOENT);
	EXPECT_EQ(gdl_agent_set(t->c, 9, 100, 2), 0);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 200, 0, 0, &id), -EPERM);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 200, 1, 0, &id), -EDQUOT);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_QUOTA_VIOLATION);
	EXPECT_EQ(d.result, -EDQUOT);
	EXPECT_EQ(d.agent_id, 9);
	EXPECT_EQ(d.length, 200);
	EXPECT_EQ(d.quota, 100);
	EXPECT_EQ(d.used, 0);
	EXPECT_EQ(d.device, 1);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, ~0ull, 1, 0, &id), -EDQUOT);
	EXPECT_EQ(gdl_agent_set(t->c, 9, 5000, 2), 0);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 9, 1001, 1, 0, &id), -ENOSPC);
	EXPECT_EQ(id, 0);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.alloc_failures, 10);
	EXPECT_EQ(st.quota_violations, 2);
	EXPECT_EQ(st.allocs, 0);
	EXPECT_EQ(st.live_allocations, 0);
	tcore_free(t);
}

static void test_alloc_quota_and_capacity(void)
{
	struct tcore *t = tcore_new(0, 4, 2, 1000);
	struct gdl_device_info di;
	struct gdl_agent_info ai;
	struct gdl_decision d;
	struct gdl_stats st;
	u64 a, b, c2;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 600, 3), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 2, 1000, 3), 0);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1, 400, 0, 0, &a), 0);
	EXPECT_EQ(a, 1);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_ALLOC);
	EXPECT_EQ(d.alloc_id, 1);
	EXPECT_EQ(d.used, 400);
	EXPECT_EQ(d.quota, 600);
	EXPECT_EQ(d.result, 0);
	/* used + size == quota is allowed; one more byte is not. */
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1, 201, 1, 0, &b), -EDQUOT);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1, 200, 1, 0, &b), 0);
	EXPECT_EQ(b, 2);
	/* Device 0 has 600 left: agent 2 may take exactly that. */
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 2, 601, 0, 0, &c2), -ENOSPC);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 2, 600, 0, 0, &c2), 0);
	EXPECT_EQ(c2, 3);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 2, 1, 0, 0, &c2), -ENOSPC);
	EXPECT_EQ(gdl_core_device_info(t->c, 0, &di), 0);
	EXPECT_EQ(di.used, 1000);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.used, 600);
	EXPECT_EQ(ai.allocations, 2);
	/* A quota below current use only blocks new allocations. */
	EXPECT_EQ(gdl_agent_set(t->c, 1, 100, 3), 0);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1, 1, 1, 0, &b), -EDQUOT);
	EXPECT_EQ(gdl_free(t->c, 1, 0), 0);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_FREE);
	EXPECT_EQ(d.alloc_id, 1);
	EXPECT_EQ(d.length, 400);
	EXPECT_EQ(d.used, 200);
	EXPECT_EQ(d.quota, 100);
	EXPECT_EQ(d.agent_id, 1);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.allocs, 3);
	EXPECT_EQ(st.frees, 1);
	EXPECT_EQ(st.bytes_allocated, 1200);
	EXPECT_EQ(st.bytes_freed, 400);
	EXPECT_EQ(st.live_allocations, 2);
	EXPECT_EQ(st.used_bytes, 800);
	EXPECT_EQ(st.capacity_bytes, 2000);
	EXPECT_EQ(st.quota_violations, 2);
	tcore_free(t);
}

static void test_alloc_autocreate(void)
{
	struct tcore *t = tcore_new(500, 2, 3, 1000);
	struct gdl_agent_info ai;
	struct gdl_stats st;
	u64 id;

	REQUIRE(t);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 77, 100, 2, 0, &id), 0);
	EXPECT_EQ(gdl_agent_get(t->c, 77, &ai), 0);
	EXPECT_EQ(ai.quota, 500);
	EXPECT_EQ(ai.device_mask, 7);
	EXPECT_EQ(ai.used, 100);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 78, 100, 0, 0, &id), 0);
	/* Auto-created agents count against max_agents. */
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 79, 100, 0, 0, &id), -ENOSPC);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 0, 100, 0, 0, &id), -ENOENT);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.agents, 2);
	tcore_free(t);
}

static void test_free_and_owner(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_owner o = { .pid = 99, .bound_agent = 1 };
	struct gdl_agent_info ai;
	struct gdl_stats st;
	u64 a, b, p;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 1000, 1), 0);
	EXPECT_EQ(gdl_agent_set(t->c, 2, 1000, 1), 0);
	gdl_owner_init(t->c, &o);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 10, 0, 0, &a), 0);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 20, 0, 0, &b), 0);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 30, 0, GDL_ALLOC_PERSISTENT, &p),
		  0);
	EXPECT_EQ(o.nallocs, 2);
	EXPECT_EQ(o.bytes, 30);
	EXPECT_EQ(gdl_free(t->c, 12345, 0), -ENOENT);
	EXPECT_EQ(gdl_free(t->c, a, 2), -EPERM);
	EXPECT_EQ(tcore_last(t).kind, GDL_DEC_ALLOC);	/* no FREE traced */
	EXPECT_EQ(gdl_free(t->c, a, 1), 0);
	EXPECT_EQ(gdl_free(t->c, a, 1), -ENOENT);
	EXPECT_EQ(o.nallocs, 1);
	gdl_owner_release(t->c, &o);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.used, 30);		/* persistent one survives */
	EXPECT_EQ(ai.allocations, 1);
	EXPECT_EQ(gdl_free(t->c, b, 0), -ENOENT);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.frees, 2);
	EXPECT_EQ(st.live_allocations, 1);
	/* Persistent allocations need no owner; destroy frees them. */
	EXPECT_EQ(gdl_alloc(t->c, NULL, 2, 5, 0, GDL_ALLOC_PERSISTENT, &p),
		  0);
	tcore_free(t);
}

/*
 * gdl_free_by(): the caller's own record becomes its one spare, which its
 * next allocation takes instead of allocating (no allocation to fail),
 * and the owner's release frees (ASan: no leak).  Counting is unchanged.
 */
static void test_free_by_spare(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_owner o = { .pid = 7 }, other = { .pid = 8 };
	struct gdl_stats st;
	u64 a, b, p, x;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 1000, 1), 0);
	gdl_owner_init(t->c, &o);
	gdl_owner_init(t->c, &other);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 10, 0, 0, &a), 0);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 20, 0, 0, &b), 0);
	EXPECT_EQ(gdl_alloc(t->c, &other, 1, 30, 0, 0, &x), 0);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 40, 0, GDL_ALLOC_PERSISTENT, &p), 0);
	/* Refused frees keep nothing. */
	EXPECT_EQ(gdl_free_by(t->c, &o, a, 2), -EPERM);
	EXPECT_EQ(gdl_free_by(t->c, &o, 12345, 0), -ENOENT);
	EXPECT(o.spare == NULL);
	/* Another owner's record and a persistent one are not kept. */
	EXPECT_EQ(gdl_free_by(t->c, &o, x, 1), 0);
	EXPECT_EQ(gdl_free_by(t->c, &o, p, 0), 0);
	EXPECT(o.spare == NULL);
	EXPECT_EQ(gdl_free_by(t->c, &o, a, 1), 0);
	EXPECT(o.spare != NULL);
	EXPECT_EQ(tcore_last(t).kind, GDL_DEC_FREE);
	EXPECT_EQ(tcore_last(t).alloc_id, a);
	EXPECT_EQ(tcore_last(t).length, 10);
	/* One spare at most: the next is freed. */
	EXPECT_EQ(gdl_free_by(t->c, &o, b, 1), 0);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.frees, 4);
	EXPECT_EQ(st.live_allocations, 0);
	EXPECT_EQ(o.nallocs, 0);
	/* The next allocation allocates nothing: it takes the spare. */
	gdl_fault_fail_nth(1);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 50, 0, 0, &a), 0);
	gdl_fault_fail_nth(0);
	EXPECT(o.spare == NULL);
	EXPECT_EQ(o.nallocs, 1);
	EXPECT_EQ(o.bytes, 50);
	/* A persistent allocation never takes it. */
	EXPECT_EQ(gdl_free_by(t->c, &o, a, 0), 0);
	gdl_fault_fail_nth(1);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 5, 0, GDL_ALLOC_PERSISTENT, &p),
		  -ENOMEM);
	gdl_fault_fail_nth(0);
	EXPECT(o.spare != NULL);
	/* A refused allocation puts the spare back. */
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 5000, 0, 0, &a), -EDQUOT);
	EXPECT(o.spare != NULL);
	/* A reused record is not cleared first: every field is set anew. */
	gdl_fault_fail_nth(1);
	EXPECT_EQ(gdl_alloc(t->c, &o, 1, 60, 0, 0, &a), 0);
	gdl_fault_fail_nth(0);
	EXPECT_EQ(o.bytes, 60);
	EXPECT_EQ(gdl_free(t->c, a, 1), 0);
	EXPECT_EQ(tcore_last(t).alloc_id, a);
	EXPECT_EQ(tcore_last(t).length, 60);
	EXPECT_EQ(tcore_last(t).agent_id, 1);
	EXPECT_EQ(tcore_last(t).used, 0);
	EXPECT_EQ(o.nallocs, 0);
	gdl_owner_release(t->c, &o);
	gdl_owner_release(t->c, &other);
	tcore_free(t);
}

static unsigned int published;

static bool publish_store(void *to, u64 alloc_id)
{
	published++;
	*(u64 *)to = alloc_id;
	return true;
}

static bool publish_fail(void *to, u64 alloc_id)
{
	published++;
	return false;
}

/*
 * gdl_alloc_reserve(): an id the publisher hands out under the lock is
 * settled at once (FREE sees it, counted and reported once); one it cannot
 * stays pending until gdl_alloc_settle(); a refusal never publishes.
 */
static void test_alloc_publish(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_stats st;
	u64 id = 0, out = 0;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 100, 1), 0);
	published = 0;
	EXPECT_EQ(gdl_alloc_reserve(t->c, &t->owner, 1, 10, 0, 0, &id,
				    publish_store, &out), 0);
	EXPECT_EQ(out, id);
	EXPECT_EQ(tcore_last(t).kind, GDL_DEC_ALLOC);
	EXPECT_EQ(tcore_last(t).alloc_id, id);
	EXPECT_EQ(tcore_last(t).used, 10);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.allocs, 1);
	EXPECT_EQ(gdl_free(t->c, id, 1), 0);

	EXPECT_EQ(gdl_alloc_reserve(t->c, &t->owner, 1, 20, 0, 0, &id,
				    publish_fail, NULL), GDL_ALLOC_PENDING);
	EXPECT_EQ(gdl_free(t->c, id, 1), -ENOENT);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.allocs, 1);
	EXPECT_EQ(st.used_bytes, 20);
	gdl_alloc_settle(t->c, id, true);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.allocs, 2);
	EXPECT_EQ(gdl_free(t->c, id, 1), 0);

	EXPECT_EQ(published, 2);
	EXPECT_EQ(gdl_alloc_reserve(t->c, &t->owner, 1, 200, 0, 0, &id,
				    publish_store, &out), -EDQUOT);
	EXPECT_EQ(published, 2);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.live_allocations, 0);
	tcore_free(t);
}

static void test_owner_release_many(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1ull << 40);
	struct gdl_owner o = { .pid = 1 };
	struct gdl_stats st;
	u64 id;
	int i;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 1ull << 40, 1), 0);
	gdl_owner_init(t->c, &o);
	for (i = 0; i < 1000; i++)
		EXPECT_EQ(gdl_alloc(t->c, &o, 1, 3, 0, 0, &id), 0);
	gdl_owner_release(t->c, &o);	/* several batches */
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.live_allocations, 0);
	EXPECT_EQ(st.used_bytes, 0);
	EXPECT_EQ(st.frees, 1000);
	EXPECT_EQ(st.bytes_freed, 3000);
	tcore_free(t);
}

static void test_grant_errors(void)
{
	struct tcore *t = tcore_new(0, 4, 2, 1000);
	struct gdl_decision d;
	struct gdl_stats st;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0, 0, R), -EINVAL);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, ~0ull, 1, R), -EINVAL);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 1, ~0ull, R), -EINVAL);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0, 1, 0), -EINVAL);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0, 1, 4), -EINVAL);
	EXPECT_EQ(gdl_grant(t->c, 1, 2, 0, 1, R), -ENODEV);
	EXPECT_EQ(gdl_grant(t->c, 5, 0, 0, 1, R), -ENOENT);
	EXPECT_EQ(gdl_grant(t->c, 1, 1, 0, 1, R), -EPERM);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_GRANT);
	EXPECT_EQ(d.result, -EPERM);
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, 0, 0, R), -EINVAL);
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, 0, 1, 8), -EINVAL);
	EXPECT_EQ(gdl_revoke(t->c, 1, 2, 0, 1, R), -ENODEV);
	EXPECT_EQ(gdl_revoke(t->c, 5, 0, 0, 1, R), -ENOENT);
	/* Revoking on a device outside the mask is allowed (a no-op). */
	EXPECT_EQ(gdl_revoke(t->c, 1, 1, 0, 1, R), 0);
	/* The largest range: [0, 2^64 - 1). */
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0, ~0ull, RW), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, ~0ull - 1, 1, RW), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, ~0ull, RW), 1);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_CHECK);
	EXPECT_EQ(d.length, ~0ull);
	EXPECT_EQ(d.mode, RW);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.grants, 1);
	EXPECT_EQ(st.revokes, 1);
	tcore_free(t);
}

static void test_grant_semantics(void)
{
	struct tcore *t = tcore_new(0, 4, 2, 1000);
	struct gdl_agent_info ai;
	struct gdl_decision d;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 3), 0);
	/* Adjacent equal modes coalesce into one range. */
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0x1000, 0x1000, R), 0);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0x2000, 0x1000, R), 0);
	gdl_agent_get(t->c, 1, &ai);
	EXPECT_EQ(ai.grants, 1);
	/* Different modes touching: two ranges; a check across both needs
	 * the bits in each. */
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0x3000, 0x1000, RW), 0);
	gdl_agent_get(t->c, 1, &ai);
	EXPECT_EQ(ai.grants, 2);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x1000, 0x3000, R), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x1000, 0x3000, W), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x3000, 0x1000, RW), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x3000, 0x1001, R), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0xfff, 2, R), 0);
	/* Same addresses, other device: nothing. */
	EXPECT_EQ(gdl_check(t->c, 1, 1, 0x1000, 1, R), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 7, 0x1000, 1, R), 0);
	EXPECT_EQ(gdl_check(t->c, 9, 0, 0x1000, 1, R), 0);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_DENY);
	EXPECT_EQ(d.agent_id, 9);
	EXPECT_EQ(d.addr, 0x1000);
	EXPECT_EQ(d.result, 0);
	/* Overlap merges; revoke of W splits the RW part off again. */
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0x1800, 0x1800, W), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x1800, 0x2800, RW), 1);
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, 0x2000, 0x800, W), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x2000, 0x800, W), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x2000, 0x800, R), 1);
	/* Revoking everything leaves nothing. */
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, 0, 0x10000, RW), 0);
	gdl_agent_get(t->c, 1, &ai);
	EXPECT_EQ(ai.grants, 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0x1000, 1, R), 0);
	d = tcore_last(t);
	EXPECT_EQ(d.kind, GDL_DEC_DENY);
	tcore_free(t);
}

static void test_check_errors(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_stats st;

	REQUIRE(t);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, 0, R), -EINVAL);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 5, ~0ull, R), -EINVAL);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, 1, 0), -EINVAL);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, 1, 4), -EINVAL);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.checks, 0);
	tcore_free(t);
}

static void test_check_many(void)
{
	struct tcore *t = tcore_new(0, 4, 2, 1000);
	struct gdl_check_entry e[4] = {
		{ .addr = 0, .length = 10, .device = 0, .mode = R },
		{ .addr = 5, .length = 10, .device = 0, .mode = R },
		{ .addr = 0, .length = 10, .device = 1, .mode = R },
		{ .addr = 0, .length = 10, .device = 0, .mode = W },
	};
	struct gdl_stats st;
	u32 allowed = 99;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 3), 0);
	EXPECT_EQ(gdl_grant(t->c, 1, 0, 0, 10, R), 0);
	EXPECT_EQ(gdl_check_many(t->c, 1, e, 0, &allowed), -EINVAL);
	EXPECT_EQ(gdl_check_many(t->c, 1, e, GDL_CHECK_BATCH_MAX + 1,
				 &allowed), -EINVAL);
	e[3].flags = 1;
	EXPECT_EQ(gdl_check_many(t->c, 1, e, 4, &allowed), -EINVAL);
	e[3].flags = 0;
	e[2].length = 0;
	EXPECT_EQ(gdl_check_many(t->c, 1, e, 4, &allowed), -EINVAL);
	e[2].length = 10;
	e[1].mode = 0;
	EXPECT_EQ(gdl_check_many(t->c, 1, e, 4, &allowed), -EINVAL);
	e[1].mode = R;
	EXPECT_EQ(allowed, 99);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.checks, 0);	/* nothing counted on -EINVAL */
	EXPECT_EQ(gdl_check_many(t->c, 1, e, 4, &allowed), 0);
	EXPECT_EQ(allowed, 1);
	EXPECT_EQ(e[0].result, GDL_CHECK_ALLOWED);
	EXPECT_EQ(e[1].result, GDL_CHECK_DENIED);
	EXPECT_EQ(e[2].result, GDL_CHECK_DENIED);
	EXPECT_EQ(e[3].result, GDL_CHECK_DENIED);
	EXPECT_EQ(tcore_last(t).kind, GDL_DEC_DENY);
	EXPECT_EQ(tcore_last(t).mode, W);
	EXPECT_EQ(gdl_check_many(t->c, 5, e, 4, &allowed), 0);
	EXPECT_EQ(allowed, 0);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.checks, 8);
	EXPECT_EQ(st.checks_denied, 7);
	/* With tracing off the batch still answers. */
	t->env.trace_mask = 0;
	EXPECT_EQ(gdl_check_many(t->c, 1, e, 1, &allowed), 0);
	EXPECT_EQ(allowed, 1);
	tcore_free(t);
}

static void test_stats_reset(void)
{
	struct tcore *t = tcore_new(100, 4, 1, 1000);
	struct gdl_stats st;
	u64 id;

	REQUIRE(t);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1, 10, 0, 0, &id), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, 1, R), 0);
	memset(&st, 0xff, sizeof(st));
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.flags, 0);
	EXPECT_EQ(st.pad, 0);
	EXPECT_EQ(st.checks, 1);
	EXPECT_EQ(st.checks_denied, 1);
	gdl_stats_reset(t->c);
	gdl_stats_read(t->c, &st);
	EXPECT_EQ(st.allocs, 0);
	EXPECT_EQ(st.checks, 0);
	EXPECT_EQ(st.bytes_allocated, 0);
	EXPECT_EQ(st.agents, 1);
	EXPECT_EQ(st.live_allocations, 1);
	EXPECT_EQ(st.used_bytes, 10);
	EXPECT_EQ(st.capacity_bytes, 1000);
	tcore_free(t);
}

static void test_list_small(void)
{
	struct tcore *t = tcore_new(0, 64, 2, 1 << 20);
	struct gdl_owner o = { .pid = 7, .bound_agent = 3 };
	struct gdl_cursor cur = { 0 };
	struct gdl_grant_view gv[8];
	struct gdl_owner_view ov[4];
	struct gdl_alloc_view av[4];
	struct snap s;
	u64 id, seen = 0;
	int i, n;

	REQUIRE(t);
	for (i = 1; i <= 40; i++)
		EXPECT_EQ(gdl_agent_set(t->c, (u64)i * 1000003, 1000, 3), 0);
	snap_take(t->c, &s);
	EXPECT_EQ(s.nagents, 40);
	for (i = 0; i < (int)s.nagents; i++)
		seen += s.agents[i].agent_id / 1000003;
	EXPECT_EQ(s.agents[0].quota, 1000);
	EXPECT_EQ(seen, 40 * 41 / 2);
	snap_free(&s);

	/* Grants come ordered by device, then start, per agent. */
	EXPECT_EQ(gdl_grant(t->c, 2000006, 1, 50, 10, R), 0);
	EXPECT_EQ(gdl_grant(t->c, 2000006, 0, 90, 10, W), 0);
	EXPECT_EQ(gdl_grant(t->c, 2000006, 0, 10, 10, RW), 0);
	EXPECT_EQ(gdl_grant(t->c, 1000003, 0, 10, 10, RW), 0);
	n = gdl_list_grants(t->c, 2000006, &cur, gv, 8);
	EXPECT_EQ(n, 3);
	EXPECT_EQ(gv[0].device, 0);
	EXPECT_EQ(gv[0].start, 10);
	EXPECT_EQ(gv[0].length, 10);
	EXPECT_EQ(gv[0].mode, RW);
	EXPECT_EQ(gv[1].start, 90);
	EXPECT_EQ(gv[2].device, 1);
	EXPECT_EQ(gv[2].agent_id, 2000006);
	EXPECT_EQ(gdl_list_grants(t->c, 2000006, &cur, gv, 8), 0);
	EXPECT_EQ(gdl_list_grants(t->c, 2000006, &cur, gv, 8), 0);
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdl_list_grants(t->c, 55, &cur, gv, 8), 0);
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdl_list_grants(t->c, 0, &cur, gv, 2), 2);
	EXPECT_EQ(gdl_list_grants(t->c, 0, &cur, gv, 8), 2);
	EXPECT_EQ(gdl_list_grants(t->c, 0, &cur, gv, 8), 0);

	/* Owners, and allocations filtered by agent. */
	gdl_owner_init(t->c, &o);
	snprintf(o.comm, sizeof(o.comm), "worker");
	EXPECT_EQ(gdl_alloc(t->c, &o, 3000009, 3, 0, 0, &id), 0);
	EXPECT_EQ(gdl_alloc(t->c, &t->owner, 1000003, 1, 0, 0, &id), 0);
	EXPECT_EQ(gdl_alloc(t->c, NULL, 1000003, 1, 0,
			    GDL_ALLOC_PERSISTENT, &id), 0);
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdl_list_allocs(t->c, 3000009, &cur, av, 4), 1);
	EXPECT_EQ(av[0].agent_id, 3000009);
	EXPECT_EQ(av[0].owner_pid, 7);
	EXPECT_EQ(av[0].size, 3);
	EXPECT_EQ(gdl_list_allocs(t->c, 3000009, &cur, av, 4), 0);
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdl_list_allocs(t->c, 0, &cur, av, 4), 3);
	EXPECT_EQ(av[2].flags, GDL_ALLOC_PERSISTENT);
	EXPECT_EQ(av[2].owner_pid, 0);
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdl_list_owners(t->c, &cur, ov, 1), 1);
	EXPECT_EQ(ov[0].pid, 4242);
	EXPECT_EQ(ov[0].nallocs, 1);
	EXPECT_EQ(gdl_list_owners(t->c, &cur, ov, 4), 1);
	EXPECT_EQ(ov[0].pid, 7);
	EXPECT_EQ(ov[0].bound_agent, 3);
	EXPECT_EQ(ov[0].bytes, 3);
	EXPECT(!strcmp(ov[0].comm, "worker"));
	EXPECT_EQ(gdl_list_owners(t->c, &cur, ov, 4), 0);
	gdl_owner_release(t->c, &o);
	tcore_free(t);
}

static void test_no_trace_sink(void)
{
	struct gdl_core_params p = { .max_agents = 2, .default_quota = 10 };
	struct gdl_core *c = gdl_core_create(&p);
	struct gdl_device_desc d = { .capacity = 100 };
	u64 id;

	REQUIRE(c);
	EXPECT_EQ(gdl_core_add_device(c, &d), 0);
	EXPECT_EQ(gdl_alloc(c, NULL, 1, 5, 0, GDL_ALLOC_PERSISTENT, &id), 0);
	EXPECT_EQ(gdl_grant(c, 1, 0, 0, 5, R), 0);
	EXPECT_EQ(gdl_check(c, 1, 0, 0, 5, R), 1);
	EXPECT_EQ(gdl_free(c, id, 0), 0);
	gdl_core_destroy(c);
}

const struct tap_case api_cases[] = {
	{ "api: create parameters", test_create_params },
	{ "api: devices", test_devices },
	{ "api: all-devices mask with 64 devices", test_all_devices_mask },
	{ "api: agent set/get", test_agent_set_get },
	{ "api: agent remove", test_agent_remove },
	{ "api: agent hash chains", test_agent_chains },
	{ "api: alloc errors in documented order", test_alloc_errors_in_order },
	{ "api: alloc quota and capacity", test_alloc_quota_and_capacity },
	{ "api: alloc auto-creates agents", test_alloc_autocreate },
	{ "api: free and owners", test_free_and_owner },
	{ "api: free_by keeps one spare record", test_free_by_spare },
	{ "api: alloc_reserve settles what it publishes", test_alloc_publish },
	{ "api: owner release in batches", test_owner_release_many },
	{ "api: grant/revoke errors", test_grant_errors },
	{ "api: grant semantics", test_grant_semantics },
	{ "api: check errors", test_check_errors },
	{ "api: check_many", test_check_many },
	{ "api: stats reset", test_stats_reset },
	{ "api: listings", test_list_small },
	{ "api: no trace sink", test_no_trace_sink },
	TAP_END
};
