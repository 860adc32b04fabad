// SPDX-License-Identifier: GPL-2.0
/*
 * core_ops.c - libFuzzer target fuzz_core_ops: the core API (gdl_core.h,
 * userspace build) as a random operation sequence checked against a model
 *
 * The input's first byte picks the set-up (default_quota on or off, the
 * permission window at address 0 or just below 2^64); then each operation
 * is one opcode byte and its argument bytes (missing bytes read as 0).
 * The model holds what the core must decide:
 *  - agents (quota, mask, used bytes, live allocations) and max_agents,
 *  - devices' used bytes, every live allocation and its owner (an open
 *    file: owners are opened and released by the sequence),
 *  - one DMA mode byte per address of a small window per agent and device
 *    (the per-byte model of test/native/test_rtree.c; that one is static
 *    to its file, so this is a second, smaller copy),
 *  - the stats counters it can predict exactly.
 * Every return value is predicted; every failure must leave the state as
 * it was (checked with test/native/helpers.c's whole-state snapshot when
 * an injected -ENOMEM fires); listings are walked with random page sizes
 * and compared with the model.  Any difference aborts, so libFuzzer keeps
 * the input.  An "arm" opcode makes the n-th allocation of the next
 * operation fail (gdl_fault_fail_nth), fuzzing the -ENOMEM paths.
 *
 * Tolerated on purpose: a check on a device outside the agent's current
 * mask may be denied even when the bytes are granted (issue 10 item 3
 * changes this; both answers are accepted until that lands everywhere),
 * and the alloc_failures / quota_violations counters are not modelled.
 * Whether a grant to an unknown agent creates it when default_quota is set
 * (issue 10's prototype item) is probed once per process and then modelled
 * exactly: see grant_creates().
 */
#include <stdio.h>
#include <stdlib.h>
#include "gdl_core.h"
#include "gdl_internal.h"	/* GDL_REMEMBER_REMOVED */
#include "helpers.h"

#define NDEV	3		/* devices; index NDEV is an unknown one */
#define CAP	4096		/* bytes per device */
#define NAG	5		/* agent ids 1..NAG (0 is invalid) */
#define MAXAG	4		/* max_agents: creating a 5th is -ENOSPC */
#define NOWN	3		/* owners (open files) */
#define NREC	96		/* live allocations tracked at once */
#define WIN	64		/* modelled bytes per agent and device */
#define DQUOTA	2048		/* default_quota when on */
#define ALLDEV	((1ull << NDEV) - 1)

#define FAIL(...) do {							\
	fprintf(stderr, "fuzz_core_ops: op %d: ", fz.op);		\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)

#define EXPECT_RET(what, got, want) do {				\
	if ((got) != (want))						\
		FAIL("%s returned %d, model says %d", what, (int)(got),	\
		     (int)(want));					\
} while (0)

struct m_agent {
	int exists;
	u64 quota, mask, used, n;
	u8 perm[NDEV][WIN];
};

struct m_rec {
	u64 id, agent, size;
	u32 dev;
	int owner;		/* -1: persistent */
};

struct m_stats {
	u64 allocs, frees, bytes_allocated, bytes_freed, checks,
	    checks_denied, grants, revokes;
};

static struct {
	struct tcore *t;	/* owner t->owner is unused (never allocates) */
	struct gdl_owner own[NOWN];
	int open[NOWN];
	struct m_agent ag[NAG + 1];
	int nagents;
	u64 dev_used[NDEV];
	struct m_rec rec[NREC];
	int nrec;
	u64 last_id;
	u64 default_quota;
	u64 removed[GDL_REMEMBER_REMOVED];	/* the core's ring of agents removed lately */
	u32 nremoved;
	u64 base;		/* address of window byte 0 */
	struct m_stats st;
	const u8 *p;
	size_t n;
	int op;
	int armed;		/* a fault is armed for this operation */
	int enomem;		/* ... and the operation failed with it */
} fz;

static u8 next8(void)
{
	u8 v = 0;

	if (fz.n) {
		v = *fz.p++;
		fz.n--;
	}
	return v;
}

static void m_drop_rec(int i)
{
	struct m_rec *r = &fz.rec[i];

	fz.ag[r->agent].used -= r->size;
	fz.ag[r->agent].n--;
	fz.dev_used[r->dev] -= r->size;
	fz.st.frees++;
	fz.st.bytes_freed += r->size;
	fz.rec[i] = fz.rec[--fz.nrec];
}

/* A removed agent is not re-created by an allocation while the core remembers its removal. */
static int m_removed_lately(u64 id)
{
	for (int i = 0; i < GDL_REMEMBER_REMOVED; i++)
		if (fz.removed[i] == id)
			return 1;
	return 0;
}

static void m_agent_create(u64 id, u64 quota, u64 mask)
{
	for (int i = 0; i < GDL_REMEMBER_REMOVED; i++)
		if (fz.removed[i] == id)
			fz.removed[i] = 0;
	memset(&fz.ag[id], 0, sizeof(fz.ag[id]));
	fz.ag[id].exists = 1;
	fz.ag[id].quota = quota;
	fz.ag[id].mask = mask;
	fz.nagents++;
}

/* Runs of equal nonzero mode of one agent, in (device, start) order. */
static size_t m_runs(u64 id, struct gdl_grant_view *out)
{
	const struct m_agent *a = &fz.ag[id];
	size_t n = 0;
	u32 d;
	int i, j;

	for (d = 0; d < NDEV; d++) {
		for (i = 0; i < WIN; i = j) {
			for (j = i + 1; j < WIN && a->perm[d][j] == a->perm[d][i];
			     j++)
				;
			if (!a->perm[d][i])
				continue;
			if (out) {
				out[n].agent_id = id;
				out[n].start = fz.base + (u64)i;
				out[n].length = (u64)(j - i);
				out[n].device = d;
				out[n].mode = a->perm[d][i];
			}
			n++;
		}
	}
	return n;
}

/* Compares every agent, device and gauge with the model. */
static void verify_quick(void)
{
	struct gdl_stats s;
	u64 used = 0;
	u32 d;
	u64 id;

	for (id = 1; id <= NAG; id++) {
		struct gdl_agent_info ai;
		const struct m_agent *a = &fz.ag[id];
		int ret = gdl_agent_get(fz.t->c, id, &ai);

		if (!a->exists) {
			EXPECT_RET("agent_get (absent)", ret, -ENOENT);
			continue;
		}
		EXPECT_RET("agent_get", ret, 0);
		if (ai.quota != a->quota || ai.used != a->used ||
		    ai.device_mask != a->mask || ai.allocations != a->n ||
		    ai.grants != m_runs(id, NULL))
			FAIL("agent %llu: core quota %llu used %llu mask %llx n %llu grants %llu; model %llu %llu %llx %llu %zu",
			     (unsigned long long)id,
			     (unsigned long long)ai.quota,
			     (unsigned long long)ai.used,
			     (unsigned long long)ai.device_mask,
			     (unsigned long long)ai.allocations,
			     (unsigned long long)ai.grants,
			     (unsigned long long)a->quota,
			     (unsigned long long)a->used,
			     (unsigned long long)a->mask,
			     (unsigned long long)a->n, m_runs(id, NULL));
	}
	for (d = 0; d < NDEV; d++) {
		struct gdl_device_info di;

		if (gdl_core_device_info(fz.t->c, d, &di) || di.used != fz.dev_used[d])
			FAIL("device %u used %llu, model %llu", d,
			     (unsigned long long)di.used,
			     (unsigned long long)fz.dev_used[d]);
		used += fz.dev_used[d];
	}
	gdl_stats_read(fz.t->c, &s);
	if (s.agents != (u64)fz.nagents || s.live_allocations != (u64)fz.nrec ||
	    s.used_bytes != used || s.capacity_bytes != (u64)NDEV * CAP)
		FAIL("gauges: agents %llu live %llu used %llu cap %llu",
		     (unsigned long long)s.agents,
		     (unsigned long long)s.live_allocations,
		     (unsigned long long)s.used_bytes,
		     (unsigned long long)s.capacity_bytes);
	if (s.allocs != fz.st.allocs || s.frees != fz.st.frees ||
	    s.bytes_allocated != fz.st.bytes_allocated ||
	    s.bytes_freed != fz.st.bytes_freed || s.checks != fz.st.checks ||
	    s.checks_denied != fz.st.checks_denied ||
	    s.grants != fz.st.grants || s.revokes != fz.st.revokes)
		FAIL("counters: allocs %llu/%llu frees %llu/%llu checks %llu/%llu denied %llu/%llu grants %llu/%llu revokes %llu/%llu",
		     (unsigned long long)s.allocs, (unsigned long long)fz.st.allocs,
		     (unsigned long long)s.frees, (unsigned long long)fz.st.frees,
		     (unsigned long long)s.checks, (unsigned long long)fz.st.checks,
		     (unsigned long long)s.checks_denied,
		     (unsigned long long)fz.st.checks_denied,
		     (unsigned long long)s.grants, (unsigned long long)fz.st.grants,
		     (unsigned long long)s.revokes,
		     (unsigned long long)fz.st.revokes);
}

/* Listings, paged by @page records, against the model ------------------ */

static void verify_lists(u32 page)
{
	struct gdl_agent_view av[NAG + 2];
	struct gdl_alloc_view lv[NREC + 2];
	struct gdl_grant_view gv[NDEV * WIN + 2], want[NDEV * WIN];
	struct gdl_owner_view ov[NOWN + 4];
	struct gdl_cursor cur;
	size_t n, k;
	int r, i;
	u64 id;

	memset(&cur, 0, sizeof(cur));
	for (n = 0; (r = gdl_list_agents(fz.t->c, &cur, av + n, page)) > 0;)
		if ((n += (size_t)r) > NAG)
			FAIL("agents listed more than once");
	if (r < 0 || n != (size_t)fz.nagents)
		FAIL("agents listed %zu (ret %d), model %d", n, r, fz.nagents);
	for (k = 0; k < n; k++) {
		const struct m_agent *a;

		id = av[k].agent_id;
		a = id && id <= NAG ? &fz.ag[id] : NULL;
		if (!a || !a->exists || av[k].quota != a->quota ||
		    av[k].used != a->used || av[k].device_mask != a->mask ||
		    av[k].allocations != a->n || av[k].grants != m_runs(id, NULL))
			FAIL("agent view %llu differs", (unsigned long long)id);
		for (i = 0; i < (int)k; i++)
			if (av[i].agent_id == id)
				FAIL("agent %llu listed twice",
				     (unsigned long long)id);
	}

	memset(&cur, 0, sizeof(cur));
	for (n = 0; (r = gdl_list_allocs(fz.t->c, 0, &cur, lv + n, page)) > 0;)
		if ((n += (size_t)r) > NREC)
			FAIL("allocations listed more than once");
	if (r < 0 || n != (size_t)fz.nrec)
		FAIL("allocations listed %zu (ret %d), model %d", n, r, fz.nrec);
	for (k = 0; k < n; k++) {
		for (i = 0; i < fz.nrec && fz.rec[i].id != lv[k].alloc_id; i++)
			;
		if (i == fz.nrec || lv[k].agent_id != fz.rec[i].agent ||
		    lv[k].size != fz.rec[i].size ||
		    lv[k].device != fz.rec[i].dev ||
		    !!(lv[k].flags & GDL_ALLOC_PERSISTENT) !=
		    (fz.rec[i].owner < 0))
			FAIL("allocation view %llu differs",
			     (unsigned long long)lv[k].alloc_id);
	}

	for (id = 1; id <= NAG; id++) {
		if (!fz.ag[id].exists)
			continue;
		memset(&cur, 0, sizeof(cur));
		for (n = 0;
		     (r = gdl_list_grants(fz.t->c, id, &cur, gv + n, page)) > 0;)
			if ((n += (size_t)r) > NDEV * WIN)
				FAIL("grants listed more than once");
		k = m_runs(id, want);
		if (r < 0 || n != k || (n && memcmp(gv, want, n * sizeof(*gv))))
			FAIL("agent %llu: %zu grants listed, model %zu, or they differ",
			     (unsigned long long)id, n, k);
	}

	/* Owners: tcore's own, plus each open one, with its sums. */
	memset(&cur, 0, sizeof(cur));
	for (n = 0; (r = gdl_list_owners(fz.t->c, &cur, ov + n, page)) > 0;)
		if ((n += (size_t)r) > NOWN + 1)
			FAIL("owners listed more than once");
	k = 1;
	for (i = 0; i < NOWN; i++)
		k += (size_t)fz.open[i];
	if (r < 0 || n != k)
		FAIL("owners listed %zu, model %zu", n, k);
	for (k = 0; k < n; k++) {
		u64 cnt = 0, bytes = 0;
		int o = (int)ov[k].pid - 1000, j;

		if (ov[k].pid == fz.t->owner.pid)
			continue;
		if (o < 0 || o >= NOWN || !fz.open[o])
			FAIL("unknown owner pid %u listed", ov[k].pid);
		for (j = 0; j < fz.nrec; j++)
			if (fz.rec[j].owner == o) {
				cnt++;
				bytes += fz.rec[j].size;
			}
		if (ov[k].nallocs != cnt || ov[k].bytes != bytes)
			FAIL("owner %d: %llu allocations of %llu bytes, model %llu of %llu",
			     o, (unsigned long long)ov[k].nallocs,
			     (unsigned long long)ov[k].bytes,
			     (unsigned long long)cnt, (unsigned long long)bytes);
	}
}

/* Operations ------------------------------------------------------------ */

/* A range in the window; sometimes reaching 2^64 (high window) or empty. */
static void pick_range(u64 *start, u64 *len, int *i, int *l)
{
	u8 a = next8(), b = next8();

	*i = a % WIN;
	*l = b % (WIN - *i + 1);	/* 0 .. to the window's end */
	*start = fz.base + (u64)*i;
	*len = (u64)*l;
}

/* -EINVAL for what gdl_range_ok/gdl_mode_ok refuse. */
static int range_inval(u64 start, u64 len, u32 mode)
{
	return !len || start + len < start || start + len == 0 || !mode ||
	       (mode & ~GDL_DMA_RW);
}

static u32 pick_mode(u8 v)
{
	/* Mostly r, w, rw; sometimes 0 or an unknown bit. */
	static const u32 modes[8] = { 1, 2, 3, 1, 2, 3, 0, 4 | 1 };

	return modes[v & 7];
}

static int model_covers(u64 id, u32 dev, int i, int l, u32 mode)
{
	int k;

	if (id > NAG || !fz.ag[id].exists || dev >= NDEV)
		return 0;
	for (k = i; k < i + l; k++)
		if ((fz.ag[id].perm[dev][k] & mode) != mode)
			return 0;
	return 1;
}

/*
 * Does a grant to an unknown agent create it (with default_quota and every
 * device, as a first allocation does) when default_quota is set?  Older
 * cores answer -ENOENT.  Asked once of a scratch core, before any op: asked
 * first inside an injected-fault op, the scratch core's own allocation
 * could be the one that fails.
 */
static int grant_creates(void)
{
	static int known = -1;

	if (known < 0) {
		struct tcore *t = tcore_new(1, 1, 1, 1);

		if (!t)
			FAIL("tcore_new");
		known = gdl_grant(t->c, 1, 0, 0, 1, GDL_DMA_READ) == 0;
		tcore_free(t);
	}
	return known;
}

/* Is an answer of @got right for a check the model answers @want? */
static int check_ok(u64 id, u32 dev, int want, int got)
{
	if (got == want)
		return 1;
	/* Outside the current mask, a denial is fine too (issue 10 item 3). */
	return want && !got && id <= NAG && fz.ag[id].exists && dev < NDEV &&
	       !((fz.ag[id].mask >> dev) & 1);
}

static void op_agent_set(void)
{
	u64 id = next8() % (NAG + 1);
	u64 quota = (u64)next8() * 32;
	u64 mask = next8() & 0xf;	/* bit 3: a device that is not there */
	int want, ret;

	if (!id)
		want = -EINVAL;
	else if (!fz.ag[id].exists && fz.nagents >= MAXAG)
		want = -ENOSPC;
	else
		want = 0;
	ret = gdl_agent_set(fz.t->c, id, quota, mask);
	if (ret == -ENOMEM && fz.armed)
		return (void)(fz.enomem = 1);
	EXPECT_RET("agent_set", ret, want);
	if (ret)
		return;
	if (!fz.ag[id].exists) {
		m_agent_create(id, quota, mask);
	} else {
		fz.ag[id].quota = quota;
		fz.ag[id].mask = mask;
	}
}

static void op_agent_remove(void)
{
	u64 id = next8() % (NAG + 2);	/* NAG + 1: never created */
	int want, ret;

	if (id > NAG || !fz.ag[id].exists)
		want = -ENOENT;
	else if (fz.ag[id].n)
		want = -EBUSY;
	else
		want = 0;
	ret = gdl_agent_remove(fz.t->c, id);
	EXPECT_RET("agent_remove", ret, want);
	if (!ret) {
		fz.ag[id].exists = 0;
		fz.nagents--;
		fz.removed[fz.nremoved++ % GDL_REMEMBER_REMOVED] = id;
	}
}

static void op_alloc(void)
{
	u8 a = next8(), b = next8(), c = next8();
	u64 id = a % (NAG + 1);
	u64 size = (u64)b * 16 + (c >> 4);	/* 0 .. about 4 KiB */
	u32 dev = (a >> 4) % (NDEV + 1);
	u32 flags = (c & 3) == 3 ? 2 : (c & 1);	/* 2: unknown flag */
	int o = (c >> 2) & 3;			/* NOWN: no owner */
	struct gdl_owner *owner = o < NOWN && fz.open[o] ? &fz.own[o] : NULL;
	u64 alloc_id = 0;
	int want, ret, created = 0;
	struct m_agent *ag = id ? &fz.ag[id] : NULL;

	if (!size || (flags & ~GDL_ALLOC_FLAGS) ||
	    (!owner && !(flags & GDL_ALLOC_PERSISTENT)))
		want = -EINVAL;
	else if (dev >= NDEV)
		want = -ENODEV;
	else if (!ag || (!ag->exists && (!fz.default_quota || m_removed_lately(id))))
		want = -ENOENT;
	else if (!ag->exists && fz.nagents >= MAXAG)
		want = -ENOSPC;
	else
		want = 0;
	if (!want && !ag->exists)
		created = 1;	/* made before the charge, kept after it */
	if (!want) {
		u64 quota = created ? fz.default_quota : ag->quota;
		u64 mask = created ? ALLDEV : ag->mask;
		u64 used = created ? 0 : ag->used;

		if (!((mask >> dev) & 1))
			want = -EPERM;
		else if (size > quota || used > quota - size)
			want = -EDQUOT;
		else if (size > CAP - fz.dev_used[dev])
			want = -ENOSPC;
		else if (fz.nrec == NREC)
			return;	/* the model is full: skip */
	}
	ret = gdl_alloc(fz.t->c, owner, id, size, dev, flags, &alloc_id);
	if (ret == -ENOMEM && fz.armed)
		return (void)(fz.enomem = 1);	/* fault before or at the agent's creation */
	EXPECT_RET("alloc", ret, want);
	if (created)
		m_agent_create(id, fz.default_quota, ALLDEV);
	if (ret)
		return;
	if (!alloc_id || alloc_id <= fz.last_id)
		FAIL("alloc id %llu after %llu", (unsigned long long)alloc_id,
		     (unsigned long long)fz.last_id);
	fz.last_id = alloc_id;
	fz.rec[fz.nrec++] = (struct m_rec){
		.id = alloc_id, .agent = id, .size = size, .dev = dev,
		.owner = flags & GDL_ALLOC_PERSISTENT ? -1 : o,
	};
	ag->used += size;
	ag->n++;
	fz.dev_used[dev] += size;
	fz.st.allocs++;
	fz.st.bytes_allocated += size;
}

static void op_free(void)
{
	u8 a = next8(), b = next8();
	u64 only = b % (NAG + 2);	/* NAG + 1: an agent never made */
	u64 id;
	int i = -1, want, ret;

	if (fz.nrec && a < 0xe0) {
		i = a % fz.nrec;
		id = fz.rec[i].id;
	} else {
		id = a & 1 ? 0 : fz.last_id + 1 + a;	/* never issued */
	}
	if (i < 0)
		want = -ENOENT;
	else if (only && fz.rec[i].agent != only && (b & 0x80))
		want = -EPERM;
	else
		want = 0;
	ret = gdl_free(fz.t->c, id, b & 0x80 ? only : 0);
	EXPECT_RET("free", ret, want);
	if (!ret)
		m_drop_rec(i);
}

static void op_owner(void)
{
	int o = next8() % NOWN, i;

	if (!fz.open[o]) {
		memset(&fz.own[o], 0, sizeof(fz.own[o]));
		fz.own[o].pid = 1000 + (u32)o;
		snprintf(fz.own[o].comm, sizeof(fz.own[o].comm), "own%d", o);
		gdl_owner_init(fz.t->c, &fz.own[o]);
		fz.open[o] = 1;
		return;
	}
	gdl_owner_release(fz.t->c, &fz.own[o]);
	fz.open[o] = 0;
	for (i = fz.nrec - 1; i >= 0; i--)
		if (fz.rec[i].owner == o)
			m_drop_rec(i);
}

static void op_range(int grant)
{
	u8 a = next8(), m = next8();
	u64 id = a % (NAG + 1);
	u32 dev = (a >> 4) % (NDEV + 1);
	u32 mode = pick_mode(m);
	u64 start, len;
	int i, l, k, want, ret, create = 0;

	pick_range(&start, &len, &i, &l);
	if (range_inval(start, len, mode)) {
		want = -EINVAL;
	} else if (dev >= NDEV) {
		want = -ENODEV;
	} else if (id && !fz.ag[id].exists && grant && fz.default_quota &&
		   grant_creates()) {
		want = fz.nagents >= MAXAG ? -ENOSPC : 0;
		create = 1;
	} else if (!id || !fz.ag[id].exists) {
		want = -ENOENT;
	} else if (grant && !((fz.ag[id].mask >> dev) & 1)) {
		want = -EPERM;
	} else {
		want = 0;
	}
	ret = grant ? gdl_grant(fz.t->c, id, dev, start, len, mode) :
		      gdl_revoke(fz.t->c, id, dev, start, len, mode);
	if (ret == -ENOMEM && fz.armed && !want)
		return (void)(fz.enomem = 1);
	EXPECT_RET(grant ? "grant" : "revoke", ret, want);
	if (ret)
		return;	/* a failed grant creates nothing */
	if (create)
		m_agent_create(id, fz.default_quota, ALLDEV);
	for (k = i; k < i + l; k++) {
		if (grant)
			fz.ag[id].perm[dev][k] |= (u8)mode;
		else
			fz.ag[id].perm[dev][k] &= (u8)~mode;
	}
	if (grant)
		fz.st.grants++;
	else
		fz.st.revokes++;
}

static void op_check(void)
{
	u8 a = next8(), m = next8();
	u64 id = a % (NAG + 2);
	u32 dev = (a >> 4) % (NDEV + 1);
	u32 mode = pick_mode(m);
	u64 start, len;
	int i, l, want, ret;

	pick_range(&start, &len, &i, &l);
	ret = gdl_check(fz.t->c, id, dev, start, len, mode);
	if (range_inval(start, len, mode)) {
		EXPECT_RET("check (invalid)", ret, -EINVAL);
		return;
	}
	want = model_covers(id, dev, i, l, mode);
	if (ret < 0 || !check_ok(id, dev, want, ret))
		FAIL("check agent %llu dev %u [%d, +%d) mode %u: %d, model %d",
		     (unsigned long long)id, dev, i, l, mode, ret, want);
	fz.st.checks++;
	fz.st.checks_denied += !ret;
}

static void op_check_many(void)
{
	struct gdl_check_entry e[9];
	int want[9];
	u8 a = next8();
	u64 id = a % (NAG + 2);
	u32 n = (a >> 4) % 9, k, allowed = 0xdead, yes = 0;
	int inval = 0, ret;

	memset(e, 0, sizeof(e));
	for (k = 0; k < n; k++) {
		u8 b = next8();
		u64 st, ln;
		int i, l;

		e[k].device = b % (NDEV + 1);
		e[k].mode = pick_mode(b >> 2);
		e[k].flags = b >> 7 && (b & 0x40);	/* rarely nonzero */
		pick_range(&st, &ln, &i, &l);
		e[k].addr = st;
		e[k].length = ln;
		inval |= range_inval(e[k].addr, e[k].length, e[k].mode) ||
			 e[k].flags;
		want[k] = inval ? 0 : model_covers(id, e[k].device, i, l,
						   e[k].mode);
	}
	ret = gdl_check_many(fz.t->c, id, e, n, &allowed);
	if (!n || inval) {
		EXPECT_RET("check_many (invalid)", ret, -EINVAL);
		return;
	}
	EXPECT_RET("check_many", ret, 0);
	for (k = 0; k < n; k++) {
		if (e[k].result > 1 ||
		    !check_ok(id, e[k].device, want[k], (int)e[k].result))
			FAIL("check_many entry %u: %u, model %d", k,
			     e[k].result, want[k]);
		yes += e[k].result;
	}
	if (allowed != yes)
		FAIL("check_many: %u allowed, entries say %u", allowed, yes);
	fz.st.checks += n;
	fz.st.checks_denied += n - yes;
}

static void op_stats_reset(void)
{
	gdl_stats_reset(fz.t->c);
	memset(&fz.st, 0, sizeof(fz.st));
}

static void run_op(u8 code);

/* Runs the next operation with its @nth allocation failing. */
static void op_fault(void)
{
	u8 nth = 1 + next8() % 4;
	u8 code = next8();
	struct snap before, after;
	bool fired;
	int ok;

	snap_take(fz.t->c, &before);
	gdl_fault_fail_nth(nth);
	fz.armed = 1;
	run_op(code);
	fz.armed = 0;
	fired = gdl_fault_fired();	/* before disarming, which clears it */
	gdl_fault_fail_nth(0);
	if (!fired) {
		if (fz.enomem)
			FAIL("-ENOMEM with no allocation failure injected");
		snap_free(&before);
		return;
	}
	/*
	 * The operation either failed with -ENOMEM, and must have changed
	 * nothing (the snapshot, alloc_failures aside), or survived the
	 * failure and matches the model (verify_quick() after this).
	 */
	snap_take(fz.t->c, &after);
	ok = snap_equal(&before, &after, 1);
	snap_free(&after);
	snap_free(&before);
	if (fz.enomem && !ok)
		FAIL("an operation failed with -ENOMEM but changed the state");
	fz.enomem = 0;
}

static void run_op(u8 code)
{
	switch (code % 12) {
	case 0:
		op_agent_set();
		break;
	case 1:
		op_agent_remove();
		break;
	case 2:
	case 3:
		op_alloc();
		break;
	case 4:
		op_free();
		break;
	case 5:
		op_owner();
		break;
	case 6:
		op_range(1);
		break;
	case 7:
		op_range(0);
		break;
	case 8:
		op_check();
		break;
	case 9:
		op_check_many();
		break;
	case 10:
		if (next8() & 1)
			op_stats_reset();
		else
			verify_lists(1 + next8() % 8);
		break;
	default:
		if (!fz.armed)
			op_fault();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 setup;
	int o;

	memset(&fz, 0, sizeof(fz));
	fz.p = data;
	fz.n = size;
	setup = next8();
	fz.default_quota = setup & 1 ? DQUOTA : 0;
	fz.base = setup & 2 ? 0ull - WIN : (setup & 4 ? 1ull << 40 : 0);
	fz.t = tcore_new(fz.default_quota, MAXAG, NDEV, CAP);
	if (!fz.t)
		FAIL("tcore_new");
	fz.t->env.trace_mask = setup & 8 ? ~0u : 0;	/* decisions too */
	grant_creates();
	while (fz.n && fz.op < 4096) {
		run_op(next8());
		verify_quick();
		fz.op++;
	}
	verify_lists(1 + setup % 5);
	for (o = 0; o < NOWN; o++)
		if (fz.open[o])
			gdl_owner_release(fz.t->c, &fz.own[o]);
	tcore_free(fz.t);
	return 0;
}
