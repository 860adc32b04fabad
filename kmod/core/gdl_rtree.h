/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_rtree.h - private to the permission tree (gdl_rtree*.c): node
 * accessors and the lookups' building blocks, shared by the readers
 * (gdl_rtree.c) and the writer (gdl_rtree_txn.c, gdl_rtree_apply.c).
 * One reader outside: gdl_check.h expands gdl_rtree_covers() inline,
 * into the core's checks and the module's two CHECK handlers.
 * The node layout itself is in gdl_internal.h.
 */
#ifndef GDL_RTREE_H
#define GDL_RTREE_H

#include "gdl_internal.h"

#define LMAX	GDL_RCHUNK		/* intervals in a leaf, at most */
#define LMIN	(LMAX / 2)		/* and at least (but the root) */
#define IMAX	GDL_RFANOUT		/* children of an inner node */
#define IMIN	(IMAX / 2)
#define LCAP	(LMAX + LMIN)		/* packer sizes: emit MAX at CAP */
#define ICAP	(IMAX + IMIN)
#define MAXH	GDL_RMAXH
/* Unused keys (a leaf's starts and separators, an inner node's keys and run
 * keys): above every address but the last. */
#define GDL_RKEY_NONE	(~0ULL)

/* The layout the lookup relies on (see struct gdl_rnode). */
_Static_assert(sizeof(struct gdl_rgroup) == 64, "a group is one line");
_Static_assert(__builtin_offsetof(struct gdl_rnode, l.g) == 64,
	       "header and separators fill line 0");
_Static_assert(__builtin_offsetof(struct gdl_rnode, i.e) == 64,
	       "header and run keys fill line 0");
_Static_assert(GDL_RPICK_W * sizeof(struct gdl_rentry) == 64, "a run is a line");
_Static_assert(GDL_RPICK_N * GDL_RPICK_W == GDL_RFANOUT, "runs tile a node");
_Static_assert(sizeof(struct gdl_rnode) <= 512, "one 512-byte slab object");
_Static_assert(GDL_MAX_DEVICES <= 256, "inner keys keep devices in a byte");
_Static_assert(GDL_MAX_DEVICES < GDL_RDEV_MIXED,
	       "no device, nor dev_below_mixed(), is GDL_RDEV_MIXED");

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
	return n->l.level ? n->i.e[0].key : n->l.sep[0];
}

static inline bool underfull(const struct gdl_rnode *n)
{
	return n->l.n < (n->l.level ? IMIN : LMIN);
}

/* Lookups: under RCU, or by the writer on the published version ------- */

/*
 * The entry of inner node @n whose child holds (dev, at): the last with
 * key <= it; @at < GDL_RKEY_NONE (key_below_none()), @dev not
 * GDL_RDEV_MIXED (a device, or dev_below_mixed()).  A one-device node is
 * searched in two counts over fixed slots, with no branch on the keys and
 * no bound (unused keys hold GDL_RKEY_NONE, like a leaf's: txn_node()).
 * The keys that start the runs (copies, in line 0
 * with the header) pick a run of GDL_RPICK_W, then that run's keys are
 * counted: 5 + 3 compares of two instructions each, where a count bounded
 * by the node's size cost five a key (a loop), and 100 000 grants put four
 * inner levels above a leaf.  A run is one line, holding its children, so
 * a level reads two lines; each count's loads are independent of each
 * other, which a halving search's are not.
 */
static __always_inline const struct gdl_rentry *
in_pick_below(const struct gdl_rnode *n, u32 dev, u64 at)
{
	const struct gdl_rentry *e = n->i.e;
	unsigned long i = 0;	/* a pointer's width: scaled in one shift */
	u32 k;

	if (likely(n->i.onedev == dev)) {
#pragma GCC unroll 8
		for (k = 0; k < GDL_RPICK_N - 1; k++)
			i += n->i.pkey[k] <= at;
		e += i * GDL_RPICK_W;
		i = 0;
#pragma GCC unroll 8
		for (k = 1; k < GDL_RPICK_W; k++)
			i += e[k].key <= at;
		return e + i;
	}
	/* Keys of several devices, or of one other than @dev (rare). */
	for (k = 1; k < n->i.n; k++)
		i += key_le(n->i.kdev[k], n->i.e[k].key, dev, at);
	return e + i;
}

/*
 * No key is GDL_RKEY_NONE (an interval ends after it starts, at most at
 * it), so its floor is the same as the address below's: in_pick_below()
 * then never counts an unused slot, and needs no clamp.  A check's
 * address is below it already (it is below the range's end).
 */
static __always_inline u64 key_below_none(u64 at)
{
	return unlikely(at == GDL_RKEY_NONE) ? at - 1 : at;
}

/*
 * A device beyond every real one, as a listing's cursor may hold, orders
 * the same as GDL_MAX_DEVICES, which no node's header can claim.
 */
static __always_inline u32 dev_below_mixed(u32 dev)
{
	return dev < GDL_MAX_DEVICES ? dev : GDL_MAX_DEVICES;
}

/* Index of the child of inner node @n that holds (dev, at), for any. */
static __always_inline u32 in_pick(const struct gdl_rnode *n, u32 dev, u64 at)
{
	return (u32)(in_pick_below(n, dev_below_mixed(dev), key_below_none(at)) -
		     n->i.e);
}

/*
 * The leaf that holds the greatest key <= (dev, at), else the first;
 * @at < GDL_RKEY_NONE.  Readers pass a NULL @lock and hold RCU; the
 * writer passes the lock it holds instead.
 */
static __always_inline const struct gdl_rnode *
leaf_floor_below(const struct gdl_rnode *n, u32 dev, u64 at,
		 const gdl_mutex_t *lock)
{
	/* An empty tree has no root; a child is never NULL. */
	if (n)
		while (n->l.level)
			n = gdl_rcu_dereference_locked(
				in_pick_below(n, dev, at)->child, lock);
	return n;
}

/* The same for any @dev and @at. */
static __always_inline const struct gdl_rnode *
leaf_floor(const struct gdl_rnode *n, u32 dev, u64 at, const gdl_mutex_t *lock)
{
	return leaf_floor_below(n, dev_below_mixed(dev), key_below_none(at),
				lock);
}

/*
 * A one-device leaf's lookup, in counts with no branch on the keys and no
 * bound either: unused separators and starts hold GDL_RKEY_NONE
 * (txn_node()), which no address but the last reaches.
 */

/* The group holding the greatest start <= @at (0 if there is none). */
static __always_inline u32 leaf_group(const struct gdl_rnode *r, u64 at)
{
	u32 k, j = 0;

#pragma GCC unroll 8
	for (k = 1; k < GDL_RGROUPS; k++)
		j += r->l.sep[k] <= at;
	return j;
}

/* Starts <= @at in group @g. */
static __always_inline u32 group_rank(const struct gdl_rgroup *g, u64 at)
{
	u32 s, c = 0;

#pragma GCC unroll 8
	for (s = 0; s < GDL_RGROUP; s++)
		c += g->start[s] <= at;
	return c;
}

/*
 * Intervals of leaf @r with key <= (dev, at): the separators pick the
 * group, one line holds the rest.
 */
static __always_inline u32 leaf_rank(const struct gdl_rnode *r, u32 dev, u64 at)
{
	u32 ng, k = 0, j = 0;
	const struct gdl_rgroup *g;
	u32 left;

	if (likely(r->l.onedev != GDL_RDEV_MIXED)) {
		if (unlikely(dev != r->l.onedev))
			return dev < r->l.onedev ? 0 : r->l.n;
		/* As in_pick(): the last address counts no unused slot. */
		at = key_below_none(at);
		j = leaf_group(r, at);
		return j * GDL_RGROUP + group_rank(&r->l.g[j], at);
	}

	ng = (r->l.n + GDL_RGROUP - 1) / GDL_RGROUP;
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

/*
 * One interval of a tree version, as a batch remembers it between entries
 * (gdl_rival_holds()): its start and end, device, and the mode bits it
 * lacks.  End 0 holds nothing.
 */
struct gdl_rival {
	u64 start, end;
	u32 dev, lacks;
};

/**
 * gdl_rtree_covers - does every byte of [addr, end) have every bit of @mode?
 * @root: tree version, under gdl_rcu_read_lock()
 * @dev:  device (< GDL_MAX_DEVICES: callers check it against the count)
 * @addr: first byte
 * @end:  one past the last byte (> @addr)
 * @mode: GDL_DMA_* bits wanted
 * @hit:  NULL, or where a yes from one interval leaves that interval (a
 *        batch answers the next entry inside it without a walk); a yes from
 *        several, or a no, leaves it as it was
 *
 * A range may span several touching intervals of different modes (each
 * must hold @mode): walk on while the next interval starts where the
 * current one ends, in the same leaf or at the head of the next.  Inline
 * (every check is mostly this: gdl_check.h).
 */
static __always_inline bool gdl_rtree_covers(const struct gdl_rnode *root,
					     u32 dev, u64 addr, u64 end,
					     u32 mode, struct gdl_rival *hit)
{
	/* @addr and every @pos are below @end, so below GDL_RKEY_NONE. */
	const struct gdl_rnode *r = leaf_floor_below(root, dev, addr, NULL);
	u64 pos = addr;
	u32 i;

	if (!r)
		return false;
	if (likely(r->l.onedev == dev)) {
		/*
		 * One device (nearly every leaf): the floor interval's group
		 * and slot come straight from the counts, and its device is
		 * @dev.  No start <= @addr in the group happens only in the
		 * first (a later group's first start is its separator).
		 */
		u32 j = leaf_group(r, addr);
		const struct gdl_rgroup *g = &r->l.g[j];
		u32 s = group_rank(g, addr);

		if (!s--)
			return false;
		if (g->end[s] <= addr || (g->mode[s] & mode) != mode)
			return false;
		if (likely(g->end[s] >= end)) {
			if (hit) {
				hit->start = g->start[s];
				hit->end = g->end[s];
				hit->dev = dev;
				hit->lacks = ~(u32)g->mode[s];
			}
			return true;
		}
		/* The range goes on past this interval: the general walk. */
		i = j * GDL_RGROUP + s;
	} else {
		i = leaf_rank(r, dev, addr);
		if (!i-- || r_dev(r, i) != dev)
			return false;
	}
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
		r = leaf_floor_below(root, dev, pos, NULL);
		if (r->l.sdev[0] != dev || r->l.sep[0] != pos)
			return false;
		i = 0;
	}
}

/* Transactions (gdl_rtree_txn.c) ---------------------------------------- */

/**
 * struct rt_packer - the buffer below one inner level: children of that
 * level's nodes to be, with their keys (copied from the parent they came
 * from, so packing never reads a child it only links)
 * @n:   children held
 * @v:   the children,
 * @key: the start of each one's first interval,
 * @dev: and its device
 */
struct rt_packer {
	u32 n;
	struct gdl_rnode *v[ICAP];
	u64 key[ICAP];
	u8 dev[ICAP];
};

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
 * @nl:      intervals in @lv
 * @rnode:   level j of the path to the span's last leaf: its children
 * @rfirst:  from this index on are right of the span
 * @wnode:   the walk over the span's leaves: node of level j,
 * @widx:    and the child being walked
 * @lv:      the leaf packer: intervals not yet in a leaf
 * @pk:      the packer of level j >= 1: children of level-j nodes to be
 *
 * Everything before @lv starts zeroed (gdl_rtx_open()); the packers' slots
 * are written before they are read, so only their counts are: zeroing the
 * whole ~7 KB was half of a grant's instructions.
 */
struct rtxn {
	struct gdl_rtree *t;
	struct gdl_rnode *created;
	struct gdl_rnode *garbage;
	int err;
	u32 nl;
	struct gdl_rnode *rnode[MAXH];
	u32 rfirst[MAXH];
	struct gdl_rnode *wnode[MAXH];
	u32 widx[MAXH];
	struct pk_ival lv[LCAP];
	struct rt_packer pk[MAXH];
};

struct rtxn *gdl_rtx_open(struct gdl_rtree *t);

void gdl_rtx_drop(struct rtxn *x, struct gdl_rnode *n);
void gdl_rtx_pack_child(struct rtxn *x, const struct gdl_rnode *parent, u32 k);
void gdl_rtx_pack_ival(struct rtxn *x, u64 s, u64 e, u32 d, u32 m);
struct gdl_rnode *gdl_rtx_close(struct rtxn *x, u32 height);
void gdl_rtx_commit(struct rtxn *x, struct gdl_rnode *root, u64 count);
void gdl_rtx_abort(struct rtxn *x);

#endif /* GDL_RTREE_H */
