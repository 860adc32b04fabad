// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_rtree.c - DMA permission ranges: an immutable, path-copied B+-tree
 * of intervals; its lookups (under RCU, no lock) and its lifetime
 *
 * Each agent's permissions are a set of disjoint half-open intervals keyed
 * by (device, start), each with nonzero mode bits, where no two intervals
 * of one device that touch have the same mode (they would have been
 * coalesced).  The sorted sequence is cut into leaves of up to GDL_RCHUNK
 * intervals; inner nodes have up to GDL_RFANOUT children; every node but
 * the root and the last of its level is at least half full, and all leaves
 * are at the same depth.
 * Published nodes never change: readers descend under RCU with no lock
 * (one inner node per level, then line 0 and one group line of a leaf), so
 * a check costs O(log n) with a base of 12..24: 100 000 random grants are
 * 9 438 leaves under 3 inner levels and a root.  Nodes whose keys are all
 * of one device (nearly all) compare addresses only and count them without
 * branching on them (an inner node's every fourth key first picks a run);
 * unused slots hold GDL_RKEY_NONE, so no count needs a bound.
 *
 * Changes are transactions that replace the nodes on their paths and
 * publish a new root: gdl_rtree_apply.c (what changes) and
 * gdl_rtree_txn.c (building the new nodes, commit, rollback).
 */
#include "gdl_rtree.h"

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
			after = gdl_rcu_dereference(r->i.e[i + 1].child);
		r = gdl_rcu_dereference(r->i.e[i].child);
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
			st[sp + 1] = n->i.e[ix[sp]++].child;
			ix[sp + 1] = 0;
			sp++;
			continue;
		}
		gdl_zfree(n);
		sp--;
	}
}
