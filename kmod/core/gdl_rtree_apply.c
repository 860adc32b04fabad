// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_rtree_apply.c - one grant or revoke on the permission tree: which
 * nodes it replaces, and the stream of new intervals that replaces them
 *
 * A change (gdl_rtree_apply) is one transaction under the agent's lock.
 * The span is the run of leaves from the one holding the interval that
 * reaches the range from below (its new neighbour) to the one holding an
 * interval that starts at its end (the other neighbour):
 *  1. down the path to the span's first leaf, the children left of the
 *     path go into the packers as they are (shared, not copied);
 *  2. the span's intervals stream through the change (gaps filled by a
 *     grant, mode 0 dropped, touching equal modes joined) into the leaf
 *     packer;
 *  3. bottom up, each level's children right of the path to the span's
 *     last leaf are appended and the packers emptied into new nodes
 *     (gdl_rtx_close, gdl_rtree_txn.c), up to the new root;
 *  4. publish the root, then free the replaced nodes after a grace period.
 * Every node on the two paths and in the span is replaced, nothing else:
 * a change creates O(log n + k / 8) nodes.
 */
#include "gdl_rtree.h"

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
		gdl_rtx_pack_ival(em->x, em->ps, em->pe, em->pd, em->pm);
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

/* The span ---------------------------------------------------------------- */

/* Start of the interval of @dev that reaches @start from below, or @start. */
static u64 span_low(const struct gdl_rtree *t, const struct gdl_rnode *root,
		    u32 dev, u64 start)
{
	const struct gdl_rnode *r;
	u32 i;

	if (!start)
		return start;
	r = leaf_floor(root, dev, start - 1, t->lock);
	if (!r)
		return start;
	i = leaf_rank(r, dev, start - 1);
	if (i && r_dev(r, i - 1) == dev && r_end(r, i - 1) >= start)
		return r_start(r, i - 1);
	return start;
}

/* Records the path to the span's last leaf (the one holding @end). */
static struct gdl_rnode *span_mark_right(struct rtxn *x,
					 struct gdl_rnode *root, u32 dev,
					 u64 end)
{
	struct gdl_rnode *n = root;
	u32 j, i;

	for (j = root->l.level; j > 0; j--) {
		i = in_pick(n, dev, end);
		x->rnode[j] = n;
		x->rfirst[j] = i + 1;
		n = n->i.e[i].child;
	}
	return n;
}

/*
 * Step 1: down the path to the span's first leaf (the one holding @lo),
 * packing the children left of it as they are; returns that leaf.
 */
static struct gdl_rnode *span_descend(struct rtxn *x, struct gdl_rnode *root,
				      u32 dev, u64 lo)
{
	struct gdl_rnode *n = root;
	u32 j, i, k;

	for (j = root->l.level; j > 0; j--) {
		i = in_pick(n, dev, lo);
		x->wnode[j] = n;
		x->widx[j] = i;
		for (k = 0; k < i; k++)
			gdl_rtx_pack_child(x, n, k);
		gdl_rtx_drop(x, n);
		n = n->i.e[i].child;
	}
	return n;
}

/* The leaf after @n in the walk, replacing the inner nodes it enters. */
static struct gdl_rnode *span_next_leaf(struct rtxn *x)
{
	struct gdl_rnode *n;
	u32 j;

	for (j = 1; x->widx[j] + 1 == x->wnode[j]->i.n; j++)
		;
	n = x->wnode[j]->i.e[++x->widx[j]].child;
	while (j > 1) {
		j--;
		gdl_rtx_drop(x, n);
		x->wnode[j] = n;
		x->widx[j] = 0;
		n = n->i.e[0].child;
	}
	return n;
}

/*
 * Step 2: streams the intervals of the span's leaves, @first to @last,
 * through the change; returns how many there were.
 */
static u64 span_stream(struct emitter *em, struct gdl_rnode *first,
		       const struct gdl_rnode *last)
{
	struct gdl_rnode *n = first;
	u64 old = 0;
	u32 i;

	for (;;) {
		for (i = 0; i < n->l.n; i++)
			emit_interval(em, r_dev(n, i), r_start(n, i),
				      r_end(n, i), r_mode(n, i));
		old += n->l.n;
		gdl_rtx_drop(em->x, n);
		if (n == last)
			return old;
		n = span_next_leaf(em->x);
	}
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
	struct rtxn *x = gdl_rtx_open(t);
	struct emitter em = {
		.x = x, .dev = dev, .s = start, .e = end,
		.mode = mode, .grant = grant, .pos = start,
	};
	struct gdl_rnode *root = gdl_rcu_dereference_locked(t->root, t->lock);
	struct gdl_rnode *first, *last;
	u32 height = root ? root->l.level : 0;
	u64 old = 0;

	if (!x)
		return -ENOMEM;
	if (root) {
		last = span_mark_right(x, root, dev, end);
		first = span_descend(x, root, dev,
				     span_low(t, root, dev, start));
		old = span_stream(&em, first, last);
	}
	emit_gap(&em, end);
	pack_pending(&em);
	if (!x->err && !em.changed) {
		gdl_rtx_abort(x);	/* every byte already as asked */
		return 0;
	}
	if (!x->err)
		root = gdl_rtx_close(x, height);
	if (x->err) {
		gdl_rtx_abort(x);
		return -ENOMEM;
	}
	gdl_rtx_commit(x, root, t->count - old + em.count);
	return 0;
}
