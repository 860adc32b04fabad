// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_rtree.c - DMA permission ranges: an immutable, path-copied B+-tree
 * of intervals
 *
 * Each agent's permissions are a set of disjoint half-open intervals keyed
 * by (device, start), each with nonzero mode bits, where no two intervals
 * of one device that touch have the same mode (they would have been
 * coalesced).  The sorted sequence is cut into leaves of up to GDL_RCHUNK
 * intervals; inner nodes have up to GDL_RFANOUT children; every node but
 * the root is at least half full and all leaves are at the same depth.
 * Published nodes never change: readers descend under RCU with no lock
 * (one inner node per level, then line 0 and one group line of a leaf), so
 * a check costs O(log n) with a base of 12..24: 100 000 random grants are
 * 9 438 leaves under 3 inner levels and a root.  Nodes whose keys are all
 * of one device (nearly all) compare addresses only, without branches.
 *
 * A change (gdl_rtree_apply) is one transaction under the agent's lock.
 * The span is the run of leaves from the one holding the interval that
 * reaches the range from below (its new neighbour) to the one holding an
 * interval that starts at its end (the other neighbour).  Below every
 * level there is a packer: a small buffer of that level's items
 * (intervals, or child nodes) that cuts them into new nodes:
 *  1. down the path to the span's first leaf, the children left of the
 *     path go into the packers as they are (shared, not copied);
 *  2. the span's intervals stream through the change (gaps filled by a
 *     grant, mode 0 dropped, touching equal modes joined) into the leaf
 *     packer; a full packer emits a full node into the packer above;
 *  3. bottom up, each level's children right of the path to the span's
 *     last leaf are appended, then the packer is emitted (one node, or two
 *     halves).  A node left under half full is merged with its neighbour
 *     at that level (the last item of the packer above, or the first item
 *     right of the path); with none, it is the only child of its parent
 *     and goes up to be merged there (a merge walks down the boundary,
 *     bounded by the height).  The highest level with anything left gives
 *     the root.
 *  4. publish the root, then free the replaced nodes after a grace period.
 * Every node on the two paths and in the span is replaced, nothing else:
 * a change creates O(log n + k / 8) nodes.  Until the root is published
 * nothing a reader can see has changed, so a failed allocation anywhere
 * simply frees every node the transaction created.
 *
 * No recursion except the boundary merge (depth < GDL_RMAXH, small
 * frames); the transaction's buffers live in one allocation, not on the
 * stack.
 */
#include "gdl_internal.h"

#define LMAX	GDL_RCHUNK		/* intervals in a leaf, at most */
#define LMIN	(LMAX / 2)		/* and at least (but the root) */
#define IMAX	GDL_RFANOUT		/* children of an inner node */
#define IMIN	(IMAX / 2)
#define LCAP	(LMAX + LMIN)		/* packer sizes: emit MAX at CAP */
#define ICAP	(IMAX + IMIN)
#define MAXH	GDL_RMAXH

/* The layout the lookup relies on (see struct gdl_rnode). */
_Static_assert(sizeof(struct gdl_rgroup) == 64, "a group is one line");
_Static_assert(__builtin_offsetof(struct gdl_rnode, l.g) == 64,
	       "header and separators fill line 0");
_Static_assert(sizeof(struct gdl_rnode) <= 512, "one 512-byte slab object");
_Static_assert(GDL_MAX_DEVICES <= 256, "inner keys keep devices in a byte");

static inline u64 r_start(const struct gdl_rnode *r, u32 i)
{
	return r->l.g[i / GDL_RGROUP].start[i % GDL_RGROUP];
}

static inline u64 r_end(const struct gdl_rnode *r, u32 i)
{
	return r->l.g[i / GDL_RGROUP].end[i % GDL_RGROUP];
}

static inline u32 r_dev(const struct gdl_rnode *r, u32 i)
{
	return r->l.g[i / GDL_RGROUP].dev[i % GDL_RGROUP];
}

static inline u32 r_mode(const struct gdl_rnode *r, u32 i)
{
	return r->l.g[i / GDL_RGROUP].mode[i % GDL_RGROUP];
}

static inline void r_set(struct gdl_rnode *r, u32 i, u64 start, u64 end,
			 u32 dev, u32 mode)
{
	struct gdl_rgroup *g = &r->l.g[i / GDL_RGROUP];

	g->start[i % GDL_RGROUP] = start;
	g->end[i % GDL_RGROUP] = end;
	g->dev[i % GDL_RGROUP] = dev;
	g->mode[i % GDL_RGROUP] = (u8)mode;
}

/* (da, sa) <= (db, sb), as 0 or 1 (no branch). */
static inline u32 key_le(u32 da, u64 sa, u32 db, u64 sb)
{
	return (da < db) | ((da == db) & (sa <= sb));
}

/* Key of the first interval under @n. */
static inline u32 nkey_dev(const struct gdl_rnode *n)
{
	return n->l.level ? n->i.kdev[0] : n->l.sdev[0];
}

static inline u64 nkey_start(const struct gdl_rnode *n)
{
	return n->l.level ? n->i.key[0] : n->l.sep[0];
}

static inline bool underfull(const struct gdl_rnode *n)
{
	return n->l.n < (n->l.level ? IMIN : LMIN);
}

/* Lookups: under RCU, or by the writer on the published version ------- */

/* Child of inner node @n that holds (dev, at): the last with key <= it. */
static inline u32 in_pick(const struct gdl_rnode *n, u32 dev, u64 at)
{
	u32 k, i = 0, c = n->i.n;

	if (likely(!n->i.mixed)) {
		/* One device: compare addresses only. */
		if (unlikely(dev != n->i.kdev[0]))
			return dev < n->i.kdev[0] ? 0 : c - 1;
		for (k = 1; k < c; k++)
			i += n->i.key[k] <= at;
		return i;
	}
	for (k = 1; k < c; k++)
		i += key_le(n->i.kdev[k], n->i.key[k], dev, at);
	return i;
}

/*
 * The leaf that holds the greatest key <= (dev, at), else the first.
 * Readers pass a NULL @lock and hold RCU; the writer passes the lock it
 * holds instead.
 */
static const struct gdl_rnode *leaf_floor(const struct gdl_rnode *n, u32 dev,
					  u64 at, const gdl_mutex_t *lock)
{
	while (n && n->l.level)
		n = gdl_rcu_dereference_locked(n->i.child[in_pick(n, dev, at)],
					       lock);
	return n;
}

/*
 * Intervals of leaf @r with key <= (dev, at): the separators pick the
 * group, one line holds the rest.
 */
static u32 leaf_rank(const struct gdl_rnode *r, u32 dev, u64 at)
{
	u32 ng = (r->l.n + GDL_RGROUP - 1) / GDL_RGROUP, k = 0, j = 0;
	const struct gdl_rgroup *g;
	u32 left;

	if (likely(!r->l.mixed)) {
		/* One device: count addresses <= @at, no branch on them. */
		if (unlikely(dev != r->l.sdev[0]))
			return dev < r->l.sdev[0] ? 0 : r->l.n;
		for (k = 1; k < ng; k++)
			j += r->l.sep[k] <= at;
		g = &r->l.g[j];
		left = r->l.n - j * GDL_RGROUP;
		k = j * GDL_RGROUP + (g->start[0] <= at);
		k += (left > 1) & (g->start[1] <= at);
		k += (left > 2) & (g->start[2] <= at);
		return k;
	}

	while (k + 1 < ng &&
	       key_le(r->l.sdev[k + 1], r->l.sep[k + 1], dev, at))
		k++;
	g = &r->l.g[k];
	left = r->l.n - k * GDL_RGROUP;
	while (j < GDL_RGROUP && j < left &&
	       key_le(g->dev[j], g->start[j], dev, at))
		j++;
	return k * GDL_RGROUP + j;
}

/**
 * gdl_rtree_covers - does every byte of [addr, end) have every bit of @mode?
 * @root: tree version, under gdl_rcu_read_lock()
 * @dev:  device
 * @addr: first byte
 * @end:  one past the last byte (> @addr)
 * @mode: GDL_DMA_* bits wanted
 *
 * A range may span several touching intervals of different modes (each
 * must hold @mode): walk on while the next interval starts where the
 * current one ends, in the same leaf or at the head of the next.
 */
bool gdl_rtree_covers(const struct gdl_rnode *root, u32 dev, u64 addr,
		      u64 end, u32 mode)
{
	const struct gdl_rnode *r = leaf_floor(root, dev, addr, NULL);
	u64 pos = addr;
	u32 i;

	if (!r)
		return false;
	i = leaf_rank(r, dev, addr);
	if (!i-- || r_dev(r, i) != dev)
		return false;
	for (;;) {
		if (r_end(r, i) <= pos || (r_mode(r, i) & mode) != mode)
			return false;
		if (r_end(r, i) >= end)
			return true;
		pos = r_end(r, i);
		if (++i < r->l.n) {
			if (r_dev(r, i) != dev || r_start(r, i) != pos)
				return false;
			continue;
		}
		r = leaf_floor(root, dev, pos, NULL);
		if (r->l.sdev[0] != dev || r->l.sep[0] != pos)
			return false;
		i = 0;
	}
}

/**
 * gdl_rtree_next - the interval with the smallest key >= (dev, start)
 * @root:  a tree version, under RCU
 * @dev:   device
 * @start: address
 * @out:   the interval found
 *
 * Return: false past the last interval.
 */
bool gdl_rtree_next(const struct gdl_rnode *root, u32 dev, u64 start,
		    struct gdl_range *out)
{
	const struct gdl_rnode *r = root, *after = NULL;
	u32 i;

	if (!r)
		return false;
	/* Down to the floor leaf; @after: the subtree just right of it. */
	while (r->l.level) {
		i = in_pick(r, dev, start);
		if (i + 1 < r->i.n)
			after = gdl_rcu_dereference(r->i.child[i + 1]);
		r = gdl_rcu_dereference(r->i.child[i]);
	}
	i = leaf_rank(r, dev, start);
	if (i && r_dev(r, i - 1) == dev && r_start(r, i - 1) == start)
		i--;
	if (i == r->l.n) {
		/* Nothing left in the floor leaf: the head of the next one. */
		if (!after)
			return false;
		r = leaf_floor(after, 0, 0, NULL);
		i = 0;
	}
	out->start = r_start(r, i);
	out->end = r_end(r, i);
	out->dev = r_dev(r, i);
	out->mode = r_mode(r, i);
	return true;
}

/* Transactions ---------------------------------------------------------- */

struct pk_ival {
	u64 s, e;
	u32 d, m;
};

/**
 * struct rtxn - one open transaction on a tree (one allocation)
 * @t:       the tree
 * @created: every node created here, chained by @link (for rollback)
 * @garbage: published nodes replaced here, chained by @link
 * @err:     first error
 * @nl, @lv: the leaf packer: intervals not yet in a leaf
 * @nn, @nv: the packer of level j >= 1: children of level-j nodes to be
 * @rnode:   level j of the path to the span's last leaf: its children
 * @rfirst:  from this index on are right of the span
 * @wnode:   the walk over the span's leaves: node of level j,
 * @widx:    and the child being walked
 */
struct rtxn {
	struct gdl_rtree *t;
	struct gdl_rnode *created;
	struct gdl_rnode *garbage;
	int err;
	u32 nl;
	struct pk_ival lv[LCAP];
	u32 nn[MAXH];
	struct gdl_rnode *nv[MAXH][ICAP];
	struct gdl_rnode *rnode[MAXH];
	u32 rfirst[MAXH];
	struct gdl_rnode *wnode[MAXH];
	u32 widx[MAXH];
};

static struct gdl_rnode *txn_node(struct rtxn *x, u32 level)
{
	struct gdl_rnode *n;

	if (x->err)
		return NULL;
	n = gdl_zalloc(sizeof(*n));
	if (!n) {
		x->err = -ENOMEM;
		return NULL;
	}
	n->l.level = (u8)level;
	n->l.flags = GDL_RN_OWN;
	n->link = x->created;
	x->created = n;
	return n;
}

/* A node this transaction no longer links: freed at commit or after a GP. */
static void txn_drop(struct rtxn *x, struct gdl_rnode *n)
{
	if (n->l.flags & GDL_RN_OWN) {
		n->l.flags |= GDL_RN_DEAD;  /* still on @created, its owner */
		return;
	}
	/* @link is never read by readers: safe to set on a published node. */
	n->link = x->garbage;
	x->garbage = n;
}

/* Sets a new leaf's count, separators and device flag. */
static void leaf_seal(struct gdl_rnode *n, u32 c)
{
	u32 k;

	n->l.n = (u8)c;
	for (k = 0; k < c; k++)
		n->l.mixed |= r_dev(n, k) != r_dev(n, 0);
	for (k = 0; k * GDL_RGROUP < c; k++) {
		n->l.sdev[k] = n->l.g[k].dev[0];
		n->l.sep[k] = n->l.g[k].start[0];
	}
}

/* A leaf of @c intervals: @c0 from @a at @ai, the rest from @b at @bi. */
static struct gdl_rnode *mk_leaf2(struct rtxn *x, const struct gdl_rnode *a,
				  u32 ai, u32 c0, const struct gdl_rnode *b,
				  u32 bi, u32 c)
{
	struct gdl_rnode *n = txn_node(x, 0);
	u32 i;

	if (!n)
		return NULL;
	for (i = 0; i < c; i++) {
		const struct gdl_rnode *s = i < c0 ? a : b;
		u32 j = i < c0 ? ai + i : bi + i - c0;

		r_set(n, i, r_start(s, j), r_end(s, j), r_dev(s, j),
		      r_mode(s, j));
	}
	leaf_seal(n, c);
	return n;
}

static struct gdl_rnode *mk_leaf(struct rtxn *x, const struct pk_ival *v,
				 u32 c)
{
	struct gdl_rnode *n = txn_node(x, 0);
	u32 i;

	if (!n)
		return NULL;
	for (i = 0; i < c; i++)
		r_set(n, i, v[i].s, v[i].e, v[i].d, v[i].m);
	leaf_seal(n, c);
	return n;
}

static struct gdl_rnode *mk_inner(struct rtxn *x, u32 level,
				  struct gdl_rnode *const *v, u32 c)
{
	struct gdl_rnode *n = txn_node(x, level);
	u32 i;

	if (!n)
		return NULL;
	for (i = 0; i < c; i++) {
		n->i.child[i] = v[i];
		n->i.kdev[i] = (u8)nkey_dev(v[i]);
		n->i.key[i] = nkey_start(v[i]);
		n->i.mixed |= n->i.kdev[i] != n->i.kdev[0];
	}
	n->i.n = (u8)c;
	return n;
}

/* Appends child @nd to the packer of level @j; full packers emit upwards. */
static void pk_add(struct rtxn *x, u32 j, struct gdl_rnode *nd)
{
	while (!x->err) {
		if (j >= MAXH) {
			x->err = -ENOMEM;	/* 2 * 12^8 leaves: never */
			return;
		}
		x->nv[j][x->nn[j]++] = nd;
		if (x->nn[j] < ICAP)
			return;
		nd = mk_inner(x, j, x->nv[j], IMAX);
		if (!nd)
			return;
		memmove(x->nv[j], x->nv[j] + IMAX, IMIN * sizeof(nd));
		x->nn[j] = IMIN;
		j++;
	}
}

/* Appends an interval to the leaf packer. */
static void pk_ival(struct rtxn *x, u64 s, u64 e, u32 d, u32 m)
{
	struct gdl_rnode *nd;

	if (x->err)
		return;
	x->lv[x->nl].s = s;
	x->lv[x->nl].e = e;
	x->lv[x->nl].d = d;
	x->lv[x->nl].m = m;
	if (++x->nl < LCAP)
		return;
	nd = mk_leaf(x, x->lv, LMAX);
	if (!nd)
		return;
	memmove(x->lv, x->lv + LMAX, LMIN * sizeof(x->lv[0]));
	x->nl = LMIN;
	pk_add(x, 1, nd);
}

/* Empties the packer of level @j into one node, or two halves: in @out. */
static u32 pk_make(struct rtxn *x, u32 j, struct gdl_rnode **out)
{
	u32 c = j ? x->nn[j] : x->nl, max = j ? IMAX : LMAX, a;

	if (!c)
		return 0;
	a = c <= max ? c : (c + 1) / 2;
	if (j) {
		out[0] = mk_inner(x, j, x->nv[j], a);
		if (a < c)
			out[1] = mk_inner(x, j, x->nv[j] + a, c - a);
		x->nn[j] = 0;
	} else {
		out[0] = mk_leaf(x, x->lv, a);
		if (a < c)
			out[1] = mk_leaf(x, x->lv + a, c - a);
		x->nl = 0;
	}
	return a < c ? 2 : 1;
}

/*
 * Merges neighbours @a and @b of one level, one of them under half full
 * (old nodes never are), into one node or two halves in @out: both are
 * dropped.  If the children where they meet are not both at least half
 * full, those are merged first, down to the leaves.
 */
static u32 rt_merge(struct rtxn *x, struct gdl_rnode *a, struct gdl_rnode *b,
		    struct gdl_rnode **out)
{
	u32 lvl = a->l.level, c, h, na = a->l.n, nb = b->l.n;

	if (x->err)
		return 0;
	if (!lvl) {
		c = na + nb;
		h = c <= LMAX ? c : (c + 1) / 2;
		out[0] = mk_leaf2(x, a, 0, h < na ? h : na, b, 0, h);
		if (h < c)
			out[1] = h < na ?
				mk_leaf2(x, a, h, na - h, b, 0, c - h) :
				mk_leaf2(x, b, h - na, c - h, b, 0, c - h);
	} else {
		struct gdl_rnode *v[2 * IMAX + 1], *m[2];
		struct gdl_rnode *ea = a->i.child[na - 1], *eb = b->i.child[0];
		u32 i, k = 0;

		for (i = 0; i + 1 < na; i++)
			v[k++] = a->i.child[i];
		if (underfull(ea) || underfull(eb)) {
			c = rt_merge(x, ea, eb, m);
			for (i = 0; i < c; i++)
				v[k++] = m[i];
		} else {
			v[k++] = ea;
			v[k++] = eb;
		}
		for (i = 1; i < nb; i++)
			v[k++] = b->i.child[i];
		c = k;
		h = c <= IMAX ? c : (c + 1) / 2;
		out[0] = mk_inner(x, lvl, v, h);
		if (h < c)
			out[1] = mk_inner(x, lvl, v + h, c - h);
	}
	txn_drop(x, a);
	txn_drop(x, b);
	return h < c ? 2 : 1;
}

/* Nothing above level @j: neither in packers nor right of the path. */
static bool top_level(const struct rtxn *x, u32 j, u32 height)
{
	u32 k;

	for (k = j + 1; k < MAXH; k++)
		if (x->nn[k] || (k <= height && x->rnode[k] &&
				 x->rfirst[k] < x->rnode[k]->i.n))
			return false;
	return true;
}

/*
 * Step 3: bottom up, adds each level's children right of the path and
 * empties its packer into the level above; returns the new root.
 */
static struct gdl_rnode *txn_close(struct rtxn *x, u32 height)
{
	struct gdl_rnode *out[2], *root = NULL, *nb, *rn;
	u32 j, k, c;

	for (j = 0; j < MAXH && !x->err; j++) {
		rn = j <= height ? x->rnode[j] : NULL;
		for (k = rn ? x->rfirst[j] : 0; rn && k < rn->i.n; k++)
			pk_add(x, j, rn->i.child[k]);
		if (rn)
			x->rfirst[j] = rn->i.n;
		c = j ? x->nn[j] : x->nl;
		if (top_level(x, j, height) && c <= (j ? IMAX : LMAX)) {
			if (j && c == 1) {
				root = x->nv[j][0];
				x->nn[j] = 0;
			} else if (pk_make(x, j, out)) {
				root = out[0];
			}
			break;
		}
		c = pk_make(x, j, out);
		if (x->err)
			break;
		if (c == 1 && underfull(out[0])) {
			rn = j + 1 <= height ? x->rnode[j + 1] : NULL;
			if (x->nn[j + 1]) {
				nb = x->nv[j + 1][--x->nn[j + 1]];
				c = rt_merge(x, nb, out[0], out);
			} else if (rn && x->rfirst[j + 1] < rn->i.n) {
				nb = rn->i.child[x->rfirst[j + 1]++];
				c = rt_merge(x, out[0], nb, out);
			}
		}
		for (k = 0; k < c; k++)
			pk_add(x, j + 1, out[k]);
	}
	/*
	 * (A root of one child cannot come out: a lone child is only carried
	 * up while something is left above it, which it is merged with.)
	 */
	return root;
}

static void rnode_free_chain(struct gdl_rcu_head *h)
{
	struct gdl_rnode *n = container_of(h, struct gdl_rnode, rcu);

	while (n) {
		struct gdl_rnode *next = n->link;

		gdl_zfree(n);
		n = next;
	}
}

static void txn_commit(struct rtxn *x, struct gdl_rnode *root, u64 count)
{
	struct gdl_rnode *n, *next;

	/* Dropped nodes were never published: freed at once. */
	for (n = x->created; n; n = next) {
		next = n->link;
		n->link = NULL;
		if (n->l.flags & GDL_RN_DEAD)
			gdl_zfree(n);
		else
			n->l.flags = 0;
	}
	gdl_rcu_assign_pointer(x->t->root, root);
	WRITE_ONCE(x->t->count, count);
	/* One callback for the whole batch: the first node carries it. */
	if (x->garbage)
		gdl_call_rcu(&x->garbage->rcu, rnode_free_chain);
	gdl_zfree(x);
}

static void txn_abort(struct rtxn *x)
{
	struct gdl_rnode *n, *next;

	for (n = x->created; n; n = next) {
		next = n->link;
		gdl_zfree(n);
	}
	gdl_zfree(x);
}

/* Changes: the stream of new intervals ---------------------------------- */

/**
 * struct emitter - writes the new intervals of a span, in key order
 * @x:       the transaction
 * @dev:     device the change applies to
 * @s:       first byte it applies to
 * @e:       one past the last
 * @mode:    bits granted or revoked
 * @grant:   true: OR @mode in; false: clear it
 * @pos:     on @dev, bytes of [@s, @e) below @pos have been emitted
 * @changed: some byte's mode changed (else the change is a no-op)
 * @pd:      pending interval, not yet packed: device,
 * @ps:      start,
 * @pe:      end,
 * @pm:      and mode (0: none pending)
 * @count:   intervals packed
 */
struct emitter {
	struct rtxn *x;
	u32 dev;
	u64 s, e;
	u32 mode;
	bool grant;
	u64 pos;
	bool changed;
	u32 pd;
	u64 ps, pe;
	u32 pm;
	u64 count;
};

static u32 em_apply(const struct emitter *em, u32 m)
{
	return em->grant ? m | em->mode : m & ~em->mode;
}

static void pack_pending(struct emitter *em)
{
	if (em->pm) {
		pk_ival(em->x, em->ps, em->pe, em->pd, em->pm);
		em->count++;
	}
	em->pm = 0;
}

/* Adds [a, b) of @d with mode @m, joining the pending one if they touch. */
static void emit_piece(struct emitter *em, u32 d, u64 a, u64 b, u32 m)
{
	if (a >= b)
		return;
	if (em->pm && em->pd == d && em->pe == a && em->pm == m) {
		em->pe = b;
		return;
	}
	pack_pending(em);
	em->pd = d;
	em->ps = a;
	em->pe = b;
	em->pm = m;
}

/* The unmapped part of [pos, to) inside the range: mode 0, changed. */
static void emit_gap(struct emitter *em, u64 to)
{
	u64 hi = to < em->e ? to : em->e;
	u32 m = em_apply(em, 0);

	if (em->pos >= hi)
		return;
	em->changed |= m != 0;
	emit_piece(em, em->dev, em->pos, hi, m);
	em->pos = hi;
}

/* Emits the existing interval [st, en) of @d with the change applied. */
static void emit_interval(struct emitter *em, u32 d, u64 st, u64 en, u32 m)
{
	u64 lo, hi;

	/* Intervals of other devices pass through (before or after it). */
	if (d != em->dev) {
		if (d > em->dev)
			emit_gap(em, em->e);
		emit_piece(em, d, st, en, m);
		return;
	}
	emit_gap(em, st);
	/* Up to three pieces: before the range, inside it, after it. */
	hi = en < em->s ? en : em->s;
	emit_piece(em, d, st, hi, m);
	lo = st > em->s ? st : em->s;
	hi = en < em->e ? en : em->e;
	if (lo < hi) {
		u32 nm = em_apply(em, m);

		em->changed |= nm != m;
		emit_piece(em, d, lo, hi, nm);
	}
	lo = st > em->e ? st : em->e;
	emit_piece(em, d, lo, en, m);
	if (en > em->pos)
		em->pos = en;
}

/**
 * gdl_rtree_apply - grant or revoke @mode on [start, end) of @dev
 * @t:     the tree; the caller holds the owning agent's lock
 * @dev:   device
 * @start: first byte
 * @end:   one past the last byte (> @start)
 * @mode:  GDL_DMA_* bits, nonzero
 * @grant: true to add @mode, false to remove it
 *
 * Return: 0, or -ENOMEM with the tree unchanged.
 */
int gdl_rtree_apply(struct gdl_rtree *t, u32 dev, u64 start, u64 end,
		    u32 mode, bool grant)
{
	struct rtxn *x = gdl_zalloc(sizeof(*x));
	struct emitter em = {
		.x = x, .dev = dev, .s = start, .e = end,
		.mode = mode, .grant = grant, .pos = start,
	};
	struct gdl_rnode *root = gdl_rcu_dereference_locked(t->root, t->lock);
	struct gdl_rnode *n, *last = NULL;
	const struct gdl_rnode *r;
	u64 lo = start, old = 0;
	u32 height = 0, j, i, k;

	if (!x)
		return -ENOMEM;
	x->t = t;
	/* The interval that reaches @start from below is the new neighbour. */
	r = start ? leaf_floor(root, dev, start - 1, t->lock) : NULL;
	if (r) {
		i = leaf_rank(r, dev, start - 1);
		if (i && r_dev(r, i - 1) == dev && r_end(r, i - 1) >= start)
			lo = r_start(r, i - 1);
	}
	if (root) {
		height = root->l.level;
		/* The path to the last leaf of the span, and right of it. */
		for (n = root, j = height; j > 0; j--) {
			i = in_pick(n, dev, end);
			x->rnode[j] = n;
			x->rfirst[j] = i + 1;
			n = n->i.child[i];
		}
		last = n;
		/* The path to the first leaf, and left of it: kept as is. */
		for (n = root, j = height; j > 0; j--) {
			i = in_pick(n, dev, lo);
			x->wnode[j] = n;
			x->widx[j] = i;
			for (k = 0; k < i; k++)
				pk_add(x, j, n->i.child[k]);
			txn_drop(x, n);
			n = n->i.child[i];
		}
		/* Stream the span's leaves through the change. */
		for (;;) {
			for (i = 0; i < n->l.n; i++)
				emit_interval(&em, r_dev(n, i), r_start(n, i),
					      r_end(n, i), r_mode(n, i));
			old += n->l.n;
			txn_drop(x, n);
			if (n == last)
				break;
			for (j = 1; x->widx[j] + 1 == x->wnode[j]->i.n; j++)
				;
			n = x->wnode[j]->i.child[++x->widx[j]];
			while (j > 1) {
				j--;
				txn_drop(x, n);
				x->wnode[j] = n;
				x->widx[j] = 0;
				n = n->i.child[0];
			}
		}
	}
	emit_gap(&em, end);
	pack_pending(&em);
	if (!x->err && !em.changed) {
		txn_abort(x);	/* every byte already as asked */
		return 0;
	}
	if (!x->err)
		root = txn_close(x, height);
	if (x->err) {
		txn_abort(x);
		return -ENOMEM;
	}
	txn_commit(x, root, t->count - old + em.count);
	return 0;
}

void gdl_rtree_init(struct gdl_rtree *t, const gdl_mutex_t *lock)
{
	t->root = NULL;
	t->count = 0;
	t->lock = lock;
}

/**
 * gdl_rtree_free_now - free a whole tree no reader can reach any more
 * @root: the tree
 *
 * Depth first with a stack of one slot per level: O(n), no recursion.
 */
void gdl_rtree_free_now(struct gdl_rnode *root)
{
	struct gdl_rnode *st[MAXH];
	u32 ix[MAXH];
	int sp = 0;

	if (!root)
		return;
	st[0] = root;
	ix[0] = 0;
	while (sp >= 0) {
		struct gdl_rnode *n = st[sp];

		if (n->l.level && ix[sp] < n->i.n) {
			st[sp + 1] = n->i.child[ix[sp]++];
			ix[sp + 1] = 0;
			sp++;
			continue;
		}
		gdl_zfree(n);
		sp--;
	}
}
