// SPDX-License-Identifier: GPL-2.0
/*
 * test_rtree.c - the range tree against a brute-force model
 *
 * The model is one mode byte per address of a small window per device.
 * Thousands of random grants, revokes and checks (short and long ranges,
 * touching and overlapping ones, several devices) run on both; after every
 * change the core's listing must be exactly the model's canonical form
 * (maximal runs of equal nonzero mode) and every check, single or in a
 * batch, must agree.  One window sits at address 0, one just below 2^64,
 * where a range reaching 2^64 must be refused.  After every change the
 * tree's shape is checked too: B+-tree invariants (levels, fill, keys,
 * separators, flags).
 */
#include <stdlib.h>
#include "tap.h"
#include "helpers.h"
#include "gdl_internal.h"

#define WIN_MAX	65536	/* bytes modelled per device, at most */
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

/* Shape of the B+-tree ------------------------------------------------- */

struct vstate {
	int bad;
	u64 count;
	int have_prev;
	u32 pd;
	u64 pe;
	u32 pm;
	int leaf_depth;
	int height;
};

static void vbad(struct vstate *v, const char *what)
{
	if (v->bad++ < 3 && getenv("GDL_TEST_VERBOSE"))
		printf("#  tree shape: %s\n", what);
}

/*
 * Checks the subtree @n at @depth; its first key is returned in @kd, @ks.
 * @last: @n is the last node of its level, the only one that may be under
 * half full (at the right edge, a split leaves a full node and the rest).
 */
static void vnode(const struct gdl_rnode *n, int depth, int root, int last,
		  u32 *kd, u64 *ks, struct vstate *v)
{
	u32 i, mixed = 0;

	if (n->l.flags)
		vbad(v, "transaction flags left on a published node");
	if (n->l.level) {
		u32 cd;
		u64 cs;

		if (n->i.n > GDL_RFANOUT ||
		    n->i.n < (root ? 2 : last ? 1 : GDL_RFANOUT / 2))
			vbad(v, "inner fill");
		for (i = 0; i < n->i.n; i++) {
			const struct gdl_rnode *ch = n->i.e[i].child;

			if (ch->l.level + 1 != n->l.level)
				vbad(v, "child level");
			vnode(ch, depth + 1, 0, last && i + 1 == n->i.n, &cd,
			      &cs, v);
			if (cd != n->i.kdev[i] || cs != n->i.e[i].key)
				vbad(v, "inner key");
			mixed |= n->i.kdev[i] != n->i.kdev[0];
			if (!i) {
				*kd = cd;
				*ks = cs;
			}
		}
		if (n->i.onedev != (mixed ? GDL_RDEV_MIXED : n->i.kdev[0]))
			vbad(v, "inner device flag");
		/* in_pick() counts every slot and reads the run keys' copies. */
		for (i = n->i.n; i < GDL_RFANOUT; i++)
			if (n->i.e[i].key != ~0ull)
				vbad(v, "unused inner key not GDL_RKEY_NONE");
		for (i = 1; i < GDL_RPICK_N; i++)
			if (n->i.pkey[i - 1] != n->i.e[i * GDL_RPICK_W].key)
				vbad(v, "run key copy");
		return;
	}
	if (v->leaf_depth < 0)
		v->leaf_depth = depth;
	if (depth != v->leaf_depth)
		vbad(v, "leaves at different depths");
	if (!n->l.n || n->l.n > GDL_RCHUNK ||
	    n->l.n < (root || last ? 1 : GDL_RCHUNK / 2))
		vbad(v, "leaf fill");
	for (i = 0; i < n->l.n; i++) {
		const struct gdl_rgroup *g = &n->l.g[i / GDL_RGROUP];
		u32 j = i % GDL_RGROUP, d = g->dev[j], m = g->mode[j];
		u64 st = g->start[j], en = g->end[j];

		if (st >= en || !m || (m & ~3u))
			vbad(v, "interval");
		if (v->have_prev && (d < v->pd ||
				     (d == v->pd && (st < v->pe ||
						     (st == v->pe &&
						      m == v->pm)))))
			vbad(v, "order, overlap or uncoalesced");
		if (!j && (n->l.sdev[i / GDL_RGROUP] != d ||
			   n->l.sep[i / GDL_RGROUP] != st))
			vbad(v, "separator");
		mixed |= d != n->l.g[0].dev[0];
		v->have_prev = 1;
		v->pd = d;
		v->pe = en;
		v->pm = m;
	}
	if (n->l.onedev != (mixed ? GDL_RDEV_MIXED : n->l.g[0].dev[0]))
		vbad(v, "leaf device flag");
	/* The one-device lookups count every slot: unused ones must not match. */
	for (i = n->l.n; i < GDL_RCHUNK; i++)
		if (n->l.g[i / GDL_RGROUP].start[i % GDL_RGROUP] != ~0ull ||
		    (!(i % GDL_RGROUP) && n->l.sep[i / GDL_RGROUP] != ~0ull))
			vbad(v, "unused leaf start or separator not GDL_RKEY_NONE");
	v->count += n->l.n;
	*kd = n->l.sdev[0];
	*ks = n->l.sep[0];
}

/* 1 if the agent's tree is a valid B+-tree of @want intervals. */
static int tree_valid(struct tcore *t, u64 agent, int *height)
{
	struct vstate v = { .leaf_depth = -1 };
	struct gdl_agent *a;
	u32 kd;
	u64 ks;

	gdl_rcu_read_lock();
	a = gdl_agent_find(t->c, agent);
	if (a && a->ranges.root) {
		vnode(a->ranges.root, 0, 1, 1, &kd, &ks, &v);
		v.height = a->ranges.root->l.level;
	}
	if (a && v.count != a->ranges.count)
		vbad(&v, "count");
	gdl_rcu_read_unlock();
	if (height)
		*height = v.height;
	return a && !v.bad;
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

/*
 * A batch of 16 checks that wander from (@d, @i, @len, @mode): on inside
 * or just past the entry before, another mode, another device, or a fresh
 * range, so entries often fall in the interval that answered the one
 * before (the batch's shortcut) and often just not.  Returns how many
 * answers differ from the model's.
 */
static int batch_diff(struct tcore *t, const struct model *md, u32 d, int i,
		      int len, u32 mode)
{
	struct gdl_check_entry e[16];
	int want[16], n, bad = 0;
	u32 allowed = 0, yes = 0;

	for (n = 0; n < 16; n++) {
		u64 r = test_rand64();

		switch (r % 4) {
		case 0:
			i += (int)((r >> 8) % 4);
			len = 1 + (int)((r >> 16) % 8);
			break;
		case 1:
			mode = 1 + (u32)((r >> 8) % 3);
			break;
		case 2:
			d = (u32)((r >> 8) % NDEV);
			break;
		default:
			pick(md, &i, &len);
			break;
		}
		if (i >= md->win)
			i = md->win - 1;
		if (i + len > md->win)
			len = md->win - i;
		/* A range may not end at 2^64. */
		if (md->base + (u64)i + (u64)len == 0 && !--len) {
			i--;
			len = 1;
		}
		e[n] = (struct gdl_check_entry){ .addr = md->base + (u64)i,
						 .length = (u64)len,
						 .device = d, .mode = mode };
		want[n] = model_check(md, d, i, len, mode);
		yes += (u32)want[n];
	}
	if (gdl_check_many(t->c, AGENT, e, 16, &allowed))
		return 16;
	for (n = 0; n < 16; n++)
		bad += (e[n].result == GDL_CHECK_ALLOWED) != want[n];
	return bad + (allowed != yes);
}

static void run_diff_every(u64 base, int win, int short_only, u64 seed,
			   int ops, int every)
{
	struct tcore *t = tcore_new(0, 4, NDEV, 1000);
	struct model *md = calloc(1, sizeof(*md));
	struct gdl_agent_info ai;
	int op, bad_list = 0, bad_check = 0, bad_ret = 0, bad_tree = 0;
	int bad_batch = 0;
	int height = 0, tallest = 0;
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
			if (!want_inval && op % 4 == 0)
				bad_batch += batch_diff(t, md, d, i, len, mode);
			continue;
		}
		if (op % every && op != ops - 1)
			continue;
		if (!compare_listing(t, md) && bad_list++ < 3)
			printf("#   listing differs after op %d\n", op);
		if (!tree_valid(t, AGENT, &height) && bad_tree++ < 3)
			printf("#   tree shape wrong after op %d\n", op);
		if (height > tallest)
			tallest = height;
		if (!gdl_agent_get(t->c, AGENT, &ai) && ai.grants > most)
			most = ai.grants;
	}
	printf("# up to %llu intervals at once, height up to %d\n",
	       (unsigned long long)most, tallest);
	EXPECT_EQ(bad_ret, 0);
	EXPECT_EQ(bad_tree, 0);
	EXPECT_EQ(bad_check, 0);
	EXPECT_EQ(bad_batch, 0);
	EXPECT_EQ(bad_list, 0);
	free(md);
	tcore_free(t);
}

static void run_diff(u64 base, int win, int short_only, u64 seed, int ops)
{
	run_diff_every(base, win, short_only, seed, ops, 1);
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
	run_diff(0, 4096, 1, 0xfeed, 5000);
	run_diff(1ull << 20, 4096, 0, 0xbeef, 3000);
}

/*
 * Thousands of intervals per device: a tree of 3-4 levels, where wide
 * changes replace whole subtrees and short ones leave nodes under half
 * full at every level, to be merged with their neighbours.
 */
static void test_diff_tall(void)
{
	run_diff_every(1ull << 32, WIN_MAX, 1, 0x7a11, 30000, 97);
	run_diff_every(0, WIN_MAX, 1, 0x7a12, 20000, 89);
}

static u64 subtree_last_end(const struct gdl_rnode *n)
{
	while (n->l.level)
		n = n->i.e[n->i.n - 1].child;
	return n->l.g[(n->l.n - 1) / GDL_RGROUP].end[(n->l.n - 1) % GDL_RGROUP];
}

static u64 subtree_count(const struct gdl_rnode *n)
{
	u64 c = 0;
	u32 i;

	if (!n->l.level)
		return n->l.n;
	for (i = 0; i < n->i.n; i++)
		c += subtree_count(n->i.e[i].child);
	return c;
}

/*
 * One grant joins every interval under the root's children 1 and 2 into
 * one: below them nothing is left of the paths but a lone leaf of one
 * interval, carried up level by level and merged down the boundary of
 * child 0.
 */
static void lone_leaf_case(long n, int want_height)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_agent_info ai;
	const struct gdl_rnode *root;
	struct gdl_agent *a;
	u64 from, to, inside;
	int height = 0, bad = 0;
	long i;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
	for (i = 0; i < n; i++)
		bad += gdl_grant(t->c, 1, 0, (u64)i * 64, 32, GDL_DMA_RW) != 0;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(tree_valid(t, 1, &height), 1);
	EXPECT_EQ(height, want_height);
	gdl_rcu_read_lock();
	a = gdl_agent_find(t->c, 1);
	root = a->ranges.root;
	REQUIRE(root->l.level && root->i.n >= 4);
	from = root->i.e[1].key;
	to = subtree_last_end(root->i.e[2].child);
	inside = subtree_count(root->i.e[1].child) +
		 subtree_count(root->i.e[2].child);
	gdl_rcu_read_unlock();
	EXPECT_EQ(gdl_grant(t->c, 1, 0, from, to - from, GDL_DMA_RW), 0);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, (u64)n - inside + 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, from, to - from, GDL_DMA_RW), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, from - 1, 2, GDL_DMA_READ), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, to - 1, 2, GDL_DMA_READ), 0);
	for (i = 0; i < n; i++) {
		u64 s = (u64)i * 64;

		if (s >= from && s < to)
			continue;
		bad += gdl_check(t->c, 1, 0, s, 32, GDL_DMA_RW) != 1;
		bad += gdl_check(t->c, 1, 0, s + 32, 1, GDL_DMA_READ) != 0;
	}
	EXPECT_EQ(bad, 0);
	/* And back: revoking the join leaves the outside as it was. */
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, from, to - from, GDL_DMA_RW), 0);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, (u64)n - inside);
	tcore_free(t);
}

static void test_lone_leaf(void)
{
	lone_leaf_case(2000, 2);
	lone_leaf_case(30000, 3);
}

/*
 * Every allocation of a change on a tall tree failed in turn: -ENOMEM, and
 * the tree exactly as before (listing, count, shape); then it succeeds.
 */
static int faulty_change(struct tcore *t, int grant, u64 start, u64 len,
			 u32 mode)
{
	int n, ret, bad = 0;

	for (n = 1; n < 5000; n++) {
		struct snap before, after;
		int fired;

		snap_take(t->c, &before);
		gdl_fault_fail_nth(n);
		ret = grant ? gdl_grant(t->c, 1, 0, start, len, mode) :
			      gdl_revoke(t->c, 1, 0, start, len, mode);
		fired = gdl_fault_fired();
		gdl_fault_fail_nth(0);
		if (!fired) {
			snap_free(&before);
			return bad || ret ? -1 : n - 1;
		}
		snap_take(t->c, &after);
		bad += ret != -ENOMEM;
		bad += !snap_equal(&before, &after, 1);
		bad += !tree_valid(t, 1, NULL);
		snap_free(&before);
		snap_free(&after);
	}
	return -1;
}

static void test_faults_tall(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	const struct gdl_rnode *root;
	struct gdl_agent *a;
	u64 from, to;
	int bad = 0, n;
	u32 kids;
	long i;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
	/*
	 * From the top down: splits away from the right edge leave halves, so
	 * the changes below merge at every level (ascending grants would leave
	 * full nodes).
	 */
	for (i = 4999; i >= 0; i--)
		bad += gdl_grant(t->c, 1, 0, (u64)i * 64, 32, GDL_DMA_RW) != 0;
	EXPECT_EQ(bad, 0);
	/* Write over a fifth of it, gaps included: many new nodes. */
	n = faulty_change(t, 1, 1000 * 64, 1000 * 64, GDL_DMA_WRITE);
	printf("# %d faults in a wide grant\n", n);
	EXPECT_EQ(n > 100, 1);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	/* Join children 1 and 2 of the root: the lone-leaf merge. */
	gdl_rcu_read_lock();
	a = gdl_agent_find(t->c, 1);
	root = a->ranges.root;
	kids = root->l.level ? root->i.n : 0;
	from = root->i.e[1].key;
	to = kids >= 3 ? subtree_last_end(root->i.e[2].child) : 0;
	gdl_rcu_read_unlock();
	printf("# a root of %u children\n", kids);
	/* A child right of the join: the lone leaf is not at the right edge. */
	REQUIRE(kids >= 4);
	n = faulty_change(t, 1, from, to - from, GDL_DMA_RW);
	EXPECT_EQ(n > 0, 1);
	n = faulty_change(t, 0, 0, 3000 * 64, GDL_DMA_READ);
	EXPECT_EQ(n > 0, 1);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	tcore_free(t);
}

/* Leaves of the subtree @n, and how many of them are full. */
static void count_leaves(const struct gdl_rnode *n, u64 *leaves, u64 *full)
{
	u32 i;

	if (!n->l.level) {
		*leaves += 1;
		*full += n->l.n == GDL_RCHUNK;
		return;
	}
	for (i = 0; i < n->i.n; i++)
		count_leaves(n->i.e[i].child, leaves, full);
}

/*
 * Grants that never touch build a large tree; all checks stay exact.
 * Granted in ascending order, each past the last, they leave every leaf
 * but the last full (the split at the right edge, gdl_rtree_txn.c).
 */
static void test_many_disjoint(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_agent_info ai;
	const int n = 20000;
	u64 leaves = 0, full = 0;
	int i, bad = 0, height = 0;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
	for (i = 0; i < n; i++)
		bad += gdl_grant(t->c, 1, 0, (u64)i * 4096, 2048, GDL_DMA_RW)
			!= 0;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, n);
	EXPECT_EQ(tree_valid(t, 1, &height), 1);
	gdl_rcu_read_lock();
	count_leaves(gdl_agent_find(t->c, 1)->ranges.root, &leaves, &full);
	gdl_rcu_read_unlock();
	EXPECT_EQ(leaves, (u64)(n + GDL_RCHUNK - 1) / GDL_RCHUNK);
	EXPECT_EQ(full, leaves - 1);
	/* 1 334 leaves under 56 and 3 inner nodes and the root (halves: 4). */
	EXPECT_EQ(height, 3);
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
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0, (u64)n * 4096, GDL_DMA_RW), 1);
	/* One revoke in the middle of the single range splits it. */
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, 4096, 1, GDL_DMA_WRITE), 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 3);
	tcore_free(t);
}

/*
 * Ascending grants leave the last node of a level with one child (361: a
 * root over a node of 24 full leaves and a node of one leaf of one
 * interval).  A revoke that empties, or nearly empties, everything left
 * of that node leaves it alone at the top: the root must be what is under
 * it, never a node of one child.
 */
static void test_lone_last(void)
{
	static const long left[] = { 1, 10 };	/* intervals the revoke leaves */
	const long n = 361;
	int k;

	for (k = 0; k < 2; k++) {
		struct tcore *t = tcore_new(0, 4, 1, 1000);
		struct gdl_agent_info ai;
		int height = 0, bad = 0;
		long i, from = n - left[k];	/* the first one left */

		REQUIRE(t);
		EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
		for (i = 0; i < n; i++)
			bad += gdl_grant(t->c, 1, 0, (u64)i * 64, 32,
					 GDL_DMA_RW) != 0;
		EXPECT_EQ(bad, 0);
		EXPECT_EQ(tree_valid(t, 1, &height), 1);
		EXPECT_EQ(height, 2);
		/* Every interval below @from. */
		EXPECT_EQ(gdl_revoke(t->c, 1, 0, 0, (u64)(from - 1) * 64 + 32,
				     GDL_DMA_RW), 0);
		EXPECT_EQ(tree_valid(t, 1, &height), 1);
		EXPECT_EQ(height, 0);
		EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
		EXPECT_EQ(ai.grants, (u64)left[k]);
		for (i = 0; i < n; i++)
			bad += gdl_check(t->c, 1, 0, (u64)i * 64, 32,
					 GDL_DMA_READ) != (i >= from);
		EXPECT_EQ(bad, 0);
		tcore_free(t);
	}
}

/* Grants listed from @cur on: how many, and the last one's end. */
static u64 list_from(struct tcore *t, struct gdl_cursor *cur, u64 *last_end)
{
	struct gdl_grant_view v[64];
	u64 n = 0;
	int r, k;

	while ((r = gdl_list_grants(t->c, 1, cur, v, 64)) > 0) {
		n += (u64)r;
		for (k = 0; k < r; k++)
			*last_end = v[k].start + v[k].length;
	}
	return n;
}

/*
 * A tall tree of one device at the top of the address space: the one-device
 * lookups count fixed slots whose padding is the last address, so a writer
 * or a listing asking for that address must be answered as for the one
 * below it (key_below_none()), and a cursor naming a device beyond every
 * real one must order after all of them (dev_below_mixed()).
 */
static void test_top_of_space(void)
{
	struct tcore *t = tcore_new(0, 4, 1, 1000);
	struct gdl_cursor cur = { 0 };
	struct gdl_agent_info ai;
	const long n = 3000;
	const u64 base = 0ull - 64 * (u64)(n + 1), top = 0ull - 32;
	u64 end = 0;
	int height = 0, bad = 0;
	long i;

	REQUIRE(t);
	EXPECT_EQ(gdl_agent_set(t->c, 1, 0, 1), 0);
	for (i = 0; i < n; i++)
		bad += gdl_grant(t->c, 1, 0, base + (u64)i * 64, 32,
				 GDL_DMA_RW) != 0;
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(tree_valid(t, 1, &height), 1);
	EXPECT_EQ(height >= 2, 1);
	/* The last byte an interval can hold: it ends at 2^64 - 1. */
	EXPECT_EQ(gdl_grant(t->c, 1, 0, top, 31, GDL_DMA_READ), 0);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, (u64)n + 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, top, 31, GDL_DMA_READ), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0ull - 2, 1, GDL_DMA_READ), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, 0ull - 2, 1, GDL_DMA_WRITE), 0);
	EXPECT_EQ(gdl_check(t->c, 1, 0, base + 32, 1, GDL_DMA_READ), 0);
	EXPECT_EQ(list_from(t, &cur, &end), (u64)n + 1);
	EXPECT_EQ(end, ~0ull);
	/* A cursor at the top's start + 1 (as the listing leaves it) and at 2^64 - 1. */
	cur = (struct gdl_cursor){ .a = 1, .b = 0, .c = top + 1 };
	EXPECT_EQ(list_from(t, &cur, &end), 0);
	cur = (struct gdl_cursor){ .a = 1, .b = 0, .c = ~0ull };
	EXPECT_EQ(list_from(t, &cur, &end), 0);
	cur = (struct gdl_cursor){ .a = 1, .b = 0, .c = top };
	EXPECT_EQ(list_from(t, &cur, &end), 1);
	/* A device beyond every real one (GDL_RDEV_MIXED's value among them). */
	cur = (struct gdl_cursor){ .a = 1, .b = 0xff, .c = 0 };
	EXPECT_EQ(list_from(t, &cur, &end), 0);
	cur = (struct gdl_cursor){ .a = 1, .b = GDL_MAX_DEVICES + 1, .c = 0 };
	EXPECT_EQ(list_from(t, &cur, &end), 0);
	/* Changes reaching the last address, on the writer's paths. */
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, top, 31, GDL_DMA_READ), 0);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, (u64)n);
	/* Filling every gap up to the last address coalesces into one. */
	EXPECT_EQ(gdl_grant(t->c, 1, 0, base, 0ull - 1 - base, GDL_DMA_RW), 0);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, base, 0ull - 1 - base, GDL_DMA_RW), 1);
	EXPECT_EQ(gdl_revoke(t->c, 1, 0, base + 64, 0ull - 1 - base - 64,
			     GDL_DMA_RW), 0);
	EXPECT_EQ(tree_valid(t, 1, NULL), 1);
	EXPECT_EQ(gdl_agent_get(t->c, 1, &ai), 0);
	EXPECT_EQ(ai.grants, 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, base, 64, GDL_DMA_RW), 1);
	EXPECT_EQ(gdl_check(t->c, 1, 0, base + 64, 1, GDL_DMA_READ), 0);
	tcore_free(t);
}

const struct tap_case rtree_cases[] = {
	{ "rtree: differential, window at 0", test_diff_low },
	{ "rtree: differential, window below 2^64", test_diff_high },
	{ "rtree: differential, window at 2^40", test_diff_middle },
	{ "rtree: differential, many intervals", test_diff_many_runs },
	{ "rtree: differential, tall trees", test_diff_tall },
	{ "rtree: a lone leaf merged down a boundary", test_lone_leaf },
	{ "rtree: faults in changes to a tall tree", test_faults_tall },
	{ "rtree: 20000 disjoint grants, then coalesced", test_many_disjoint },
	{ "rtree: a tall one-device tree at the top of the space", test_top_of_space },
	{ "rtree: a last node of one child left alone at the top", test_lone_last },
	TAP_END
};
