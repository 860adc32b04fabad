// SPDX-License-Identifier: GPL-2.0
/*
 * test_events.c - libgdlcore's decision ring: well-formed records in the
 * kernel's format, whole-record reads, drops counted when full
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "tap.h"
#include "libgdlcore.h"
#include "uapi/gdl_events.h"

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static void test_ring_records(void)
{
	struct gdlu *h = gdlu_create(1000, 4);
	struct gdl_ev_decision ev[8];
	char comm[16] = { 0 };
	FILE *f;
	u64 t0 = now_ns(), id;
	u32 n;
	int i;

	REQUIRE(h);
	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	EXPECT_EQ(gdlu_add_device(h, 5000, NULL), 0);
	/* Disabled by default: nothing recorded. */
	EXPECT_EQ(gdlu_alloc(h, 3, 10, 0, 0, &id), 0);
	EXPECT_EQ(gdlu_events_read(h, ev, sizeof(ev)), 0);

	EXPECT_EQ(gdlu_events_enable(h, 4), 0);
	EXPECT_EQ(gdlu_alloc(h, 3, 20, 0, 0, &id), 0);		/* ALLOC */
	EXPECT_EQ(gdlu_alloc(h, 3, 2000, 0, 0, &id), -EDQUOT);	/* QUOTA */
	EXPECT_EQ(gdlu_grant(h, 3, 0, 0x1000, 0x100, GDL_DMA_READ), 0);
	EXPECT_EQ(gdlu_check(h, 3, 0, 0x1000, 0x10, GDL_DMA_WRITE), 0);
	/* The ring is full now: these two are dropped and counted. */
	EXPECT_EQ(gdlu_check(h, 3, 0, 0x1000, 0x10, GDL_DMA_READ), 1);
	EXPECT_EQ(gdlu_free(h, 2), 0);
	EXPECT_EQ(gdlu_events_lost(h), 2);

	/* Only whole records: a buffer of 1.5 records gets one. */
	n = gdlu_events_read(h, ev, sizeof(ev[0]) * 3 / 2);
	EXPECT_EQ(n, sizeof(ev[0]));
	n += gdlu_events_read(h, (char *)ev + n, sizeof(ev) - n);
	EXPECT_EQ(n, 4 * sizeof(ev[0]));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(ev[i].hdr.kind, GDL_EV_DECISION);
		EXPECT_EQ(ev[i].hdr.size, sizeof(struct gdl_ev_decision));
		EXPECT(ev[i].hdr.ts_ns >= t0 && ev[i].hdr.ts_ns <= now_ns());
		EXPECT(i == 0 || ev[i].hdr.ts_ns >= ev[i - 1].hdr.ts_ns);
		EXPECT_EQ(ev[i].tid, gettid());
		EXPECT_EQ(ev[i].pid, getpid());
		EXPECT(!strncmp(ev[i].comm, comm, sizeof(ev[i].comm)));
		EXPECT_EQ(ev[i].d.agent_id, 3);
	}
	EXPECT_EQ(ev[0].d.kind, GDL_DEC_ALLOC);
	EXPECT_EQ(ev[0].d.alloc_id, 2);
	EXPECT_EQ(ev[0].d.length, 20);
	EXPECT_EQ(ev[0].d.used, 30);
	EXPECT_EQ(ev[0].d.quota, 1000);
	EXPECT_EQ(ev[1].d.kind, GDL_DEC_QUOTA_VIOLATION);
	EXPECT_EQ(ev[1].d.result, -EDQUOT);
	EXPECT_EQ(ev[2].d.kind, GDL_DEC_GRANT);
	EXPECT_EQ(ev[2].d.addr, 0x1000);
	EXPECT_EQ(ev[2].d.length, 0x100);
	EXPECT_EQ(ev[2].d.mode, GDL_DMA_READ);
	EXPECT_EQ(ev[3].d.kind, GDL_DEC_DENY);
	EXPECT_EQ(ev[3].d.mode, GDL_DMA_WRITE);
	EXPECT_EQ(gdlu_events_read(h, ev, sizeof(ev)), 0);

	/* Room again: records resume; lost stays counted. */
	EXPECT_EQ(gdlu_check(h, 3, 0, 0x1000, 0x10, GDL_DMA_READ), 1);
	EXPECT_EQ(gdlu_events_read(h, ev, sizeof(ev)), sizeof(ev[0]));
	EXPECT_EQ(ev[0].d.kind, GDL_DEC_CHECK);
	EXPECT_EQ(gdlu_events_lost(h), 2);
	/* Too small a buffer for one record: nothing consumed. */
	EXPECT_EQ(gdlu_check(h, 3, 0, 0x1000, 0x10, GDL_DMA_READ), 1);
	EXPECT_EQ(gdlu_events_read(h, ev, sizeof(ev[0]) - 1), 0);
	EXPECT_EQ(gdlu_events_read(h, ev, sizeof(ev)), sizeof(ev[0]));

	/* Disabled again: nothing more. */
	EXPECT_EQ(gdlu_events_enable(h, 0), 0);
	EXPECT_EQ(gdlu_check(h, 3, 0, 0x1000, 0x10, GDL_DMA_READ), 1);
	EXPECT_EQ(gdlu_events_read(h, ev, sizeof(ev)), 0);
	gdlu_destroy(h);
}

static void test_ring_wraps(void)
{
	struct gdlu *h = gdlu_create(0, 4);
	struct gdl_ev_decision ev[3];
	int i, wrong = 0;

	REQUIRE(h);
	EXPECT_EQ(gdlu_add_device(h, 5000, "gpu-a"), 0);
	EXPECT_EQ(gdlu_set_agent(h, 1, 0, 1), 0);
	EXPECT_EQ(gdlu_events_enable(h, 3), 0);
	/* Read two, write two, many times: the ring wraps, order holds. */
	for (i = 0; i < 300; i++) {
		gdlu_check(h, 1, 0, (u64)i * 2, 1, GDL_DMA_READ);
		gdlu_check(h, 1, 0, (u64)i * 2 + 1, 1, GDL_DMA_READ);
		if (gdlu_events_read(h, ev, sizeof(ev[0]) * 2) !=
		    2 * sizeof(ev[0])) {
			wrong++;
			continue;
		}
		wrong += ev[0].d.addr != (u64)i * 2;
		wrong += ev[1].d.addr != (u64)i * 2 + 1;
	}
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(gdlu_events_lost(h), 0);
	gdlu_destroy(h);
}

/* Every wrapper reaches the core (the agent calls these through koffi). */
static void test_library_wrappers(void)
{
	struct gdlu *h = gdlu_create(0, 4);
	struct gdl_device_info di;
	struct gdl_agent_info ai;
	struct gdl_check_entry e = { .addr = 0, .length = 4,
				     .mode = GDL_DMA_READ };
	struct gdl_agent_view av[2];
	struct gdl_alloc_view lv[2];
	struct gdl_grant_view gv[2];
	struct gdl_cursor cur = { 0 };
	struct gdl_stats st;
	u32 allowed = 0;
	u64 id;

	REQUIRE(h);
	EXPECT(gdlu_create(0, 0) == NULL);
	EXPECT_EQ(gdlu_add_device(h, 100, "gpu-a"), 0);
	EXPECT_EQ(gdlu_num_devices(h), 1);
	EXPECT_EQ(gdlu_device_info(h, 0, &di), 0);
	EXPECT(!strcmp((char *)di.name, "gpu-a"));
	EXPECT_EQ(di.kind, GDL_DEVICE_FAKE);
	EXPECT_EQ(gdlu_set_agent(h, 1, 50, 1), 0);
	EXPECT_EQ(gdlu_get_agent(h, 1, &ai), 0);
	EXPECT_EQ(ai.quota, 50);
	EXPECT_EQ(gdlu_alloc(h, 1, 10, 0, 0, &id), 0);
	EXPECT_EQ(gdlu_grant(h, 1, 0, 0, 4, GDL_DMA_READ), 0);
	EXPECT_EQ(gdlu_check_many(h, 1, &e, 1, &allowed), 0);
	EXPECT_EQ(allowed, 1);
	EXPECT_EQ(gdlu_list_agents(h, &cur, av, 2), 1);
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdlu_list_allocs(h, 0, &cur, lv, 2), 1);
	EXPECT_EQ(lv[0].owner_pid, getpid());
	memset(&cur, 0, sizeof(cur));
	EXPECT_EQ(gdlu_list_grants(h, 0, &cur, gv, 2), 1);
	EXPECT_EQ(gdlu_revoke(h, 1, 0, 0, 4, GDL_DMA_READ), 0);
	gdlu_stats(h, &st);
	EXPECT_EQ(st.allocs, 1);
	gdlu_reset_stats(h);
	gdlu_stats(h, &st);
	EXPECT_EQ(st.allocs, 0);
	EXPECT_EQ(gdlu_remove_agent(h, 1), -EBUSY);
	EXPECT_EQ(gdlu_free(h, id), 0);
	EXPECT_EQ(gdlu_remove_agent(h, 1), 0);
	/* Left-behind allocations are released by destroy. */
	EXPECT_EQ(gdlu_set_agent(h, 2, 50, 1), 0);
	EXPECT_EQ(gdlu_alloc(h, 2, 10, 0, 0, &id), 0);
	EXPECT_EQ(gdlu_alloc(h, 2, 10, 0, GDL_ALLOC_PERSISTENT, &id), 0);
	gdlu_destroy(h);
	gdlu_destroy(NULL);
}

const struct tap_case events_cases[] = {
	{ "events: records and drops", test_ring_records },
	{ "events: ring wraps in order", test_ring_wraps },
	{ "library: every wrapper", test_library_wrappers },
	TAP_END
};
