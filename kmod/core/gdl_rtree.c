// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_rtree.c - DMA permission ranges: an immutable, path-copied treap
 *
 * Each agent's permissions are a set of disjoint half-open intervals keyed
 * by (device, start), each with nonzero mode bits, where no two intervals
 * that touch have the same mode (they would have been coalesced).  The set
 * is a treap whose published nodes never change: readers descend it under
 * RCU with no lock, so a check costs one walk of O(log n) nodes.
 *
 * A change (gdl_rtree_apply) is one transaction under the agent's lock:
 *  1. split the tree around the affected span: A < span <= M < R;
 *  2. read M in order, write the new intervals of the span into fresh
 *     nodes (applying the change, dropping mode 0, coalescing neighbours);
 *  3. merge A, the new span and R back together;
 *  4. publish the root, then free the replaced nodes after a grace period.
 * Steps 1 and 3 copy only the nodes on the search paths (copy on write:
 * a node created by this transaction is private and is changed in place),
 * so a change copies O(log n) nodes plus the span's intervals.  Until the
 * root is published nothing a reader can see has changed, so a failed
 * allocation anywhere simply frees every node the transaction created.
 *
 * Splits and merges are loops, not recursion: the kernel stack never holds
 * more than one frame per operation, whatever the treap's depth.
 */
#include "gdl_internal.h"

#define U64_MAX_ (~0ull)

/**
 * struct rtxn - one open transaction on a tree
 * @t:       the tree
 * @gen:     generation stamped on every node created here
 * @created: every node created here, chained by @link (for rollback)
 * @garbage: published nodes replaced here, chained by @link
 */
struct rtxn {
	struct gdl_rtree *t;
	u64 gen;
	struct gdl_rnode *created;
	struct gdl_rnode *garbage;
};

static inline bool key_lt(u32 da, u64 sa, u32 db, u64 sb)
{
	return da < db || (da == db && sa < sb);
}

static struct gdl_rnode *txn_node(struct rtxn *x, u32 dev, u64 start,
				  u64 end, u32 mode)
{
	struct gdl_rnode *n = gdl_zalloc(sizeof(*n));

	if (!n)
		return NULL;
	n->start = start;
	n->end = end;
	n->dev = dev;
	n->mode = (u16)mode;
	n->prio = gdl_random_u32();
	n->gen = x->gen;
	n->link = x->created;
	x->created = n;
	return n;
}

/* A version of @n this transaction may change: @n itself if it is private. */
static struct gdl_rnode *txn_cow(struct rtxn *x, struct gdl_rnode *n)
{
	struct gdl_rnode *m;

	if (n->gen == x->gen)
		return n;
	m = gdl_zalloc(sizeof(*m));
	if (!m)
		return NULL;
	memcpy(m, n, sizeof(*m));
	m->gen = x->gen;
	m->link = x->created;
	x->created = m;
	/* @link is never read by readers: safe to set on a published node. */
	n->link = x->garbage;
	x->garbage = n;
	return m;
}

/* A node this transaction no longer links: freed at commit or after a GP. */
static void txn_drop(struct rtxn *x, struct gdl_rnode *n)
{
	if (n->gen == x->gen) {
		n->dead = 1;	/* still on @created, which owns it */
		return;
	}
	n->link = x->garbage;
	x->garbage = n;
}

/* Splits @t into keys < (dev, key) in *@l and the rest in *@r. */
static int txn_split(struct rtxn *x, struct gdl_rnode *t, u32 dev, u64 key,
		     struct gdl_rnode **l, struct gdl_rnode **r)
{
	struct gdl_rnode **lp = l, **rp = r;

	while (t) {
		struct gdl_rnode *n = txn_cow(x, t);

		if (!n)
			return -ENOMEM;
		if (key_lt(n->dev, n->start, dev, key)) {
			*lp = n;
			lp = &n->right;
			t = n->right;
		} else {
			*rp = n;
			rp = &n->left;
			t = n->left;
		}
	}
	*lp = NULL;
	*rp = NULL;
	return 0;
}

/* Joins @a and @b (every key of @a below every key of @b) into *@out. */
static int txn_merge(struct rtxn *x, struct gdl_rnode *a, struct gdl_rnode *b,
		     struct gdl_rnode **out)
{
	struct gdl_rnode **p = out;

	while (a && b) {
		if (a->prio > b->prio) {
			a = txn_cow(x, a);
			if (!a)
				return -ENOMEM;
			*p = a;
			p = &a->right;
			a = a->right;
		} else {
			b = txn_cow(x, b);
			if (!b)
				return -ENOMEM;
			*p = b;
			p = &b->left;
			b = b->left;
		}
	}
	*p = a ? a : b;
	return 0;
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

	gdl_rcu_assign_pointer(x->t->root, root);
	WRITE_ONCE(x->t->count, count);
	x->t->gen++;
	for (n = x->created; n; n = next) {
		next = n->link;
		n->link = NULL;
		if (n->dead)
			gdl_zfree(n);
	}
	/* One callback for the whole batch: the first node carries it. */
	if (x->garbage)
		gdl_call_rcu(&x->garbage->rcu, rnode_free_chain);
}

static void txn_abort(struct rtxn *x)
{
	struct gdl_rnode *n, *next;

	for (n = x->created; n; n = next) {
		next = n->link;
		gdl_zfree(n);
	}
	x->t->gen++;
}

/* The interval with the greatest key <= (dev, at), or NULL. */
static const struct gdl_rnode *rtree_floor(const struct gdl_rnode *n,
					   u32 dev, u64 at)
{
	const struct gdl_rnode *best = NULL;

	while (n) {
		if (key_lt(dev, at, n->dev, n->start)) {
			n = gdl_rcu_dereference(n->left);
		} else {
			best = n;
			n = gdl_rcu_dereference(n->right);
		}
	}
	return best;
}

/**
 * gdl_rtree_ceil - the interval with the smallest key >= (dev, start)
 * @root:  a tree version (under RCU, or the writer's private one)
 * @dev:   device
 * @start: address
 *
 * Return: the interval, or NULL past the last one.
 */
const struct gdl_rnode *gdl_rtree_ceil(const struct gdl_rnode *root, u32 dev,
				       u64 start)
{
	const struct gdl_rnode *best = NULL, *n = root;

	while (n) {
		if (key_lt(n->dev, n->start, dev, start)) {
			n = gdl_rcu_dereference(n->right);
		} else {
			best = n;
			n = gdl_rcu_dereference(n->left);
		}
	}
	return best;
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
 * must hold @mode): after the interval holding @addr, look up the one that
 * starts where it ends.
 */
bool gdl_rtree_covers(const struct gdl_rnode *root, u32 dev, u64 addr,
		      u64 end, u32 mode)
{
	u64 pos = addr;

	for (;;) {
		const struct gdl_rnode *n = rtree_floor(root, dev, pos);

		if (!n || n->dev != dev || n->end <= pos ||
		    (n->mode & mode) != mode)
			return false;
		if (n->end >= end)
			return true;
		pos = n->end;
	}
}

/**
 * struct emitter - writes the new intervals of a span, in order
 * @x:     the transaction
 * @dev:   device of the span
 * @s:     first byte the change applies to
 * @e:     one past the last
 * @mode:  bits granted or revoked
 * @grant: true: OR @mode in; false: clear it
 * @out:   treap of the new intervals (all private nodes)
 * @count: intervals in @out
 * @ps:    pending interval, not yet a node: start,
 * @pe:    end,
 * @pm:    and mode (0: none pending)
 * @err:   first error
 */
struct emitter {
	struct rtxn *x;
	u32 dev;
	u64 s, e;
	u32 mode;
	bool grant;
	struct gdl_rnode *out;
	u64 count;
	u64 ps, pe;
	u32 pm;
	int err;
};

static void emit_flush(struct emitter *em)
{
	struct gdl_rnode *n;

	if (!em->pm || em->err)
		goto out;
	n = txn_node(em->x, em->dev, em->ps, em->pe, em->pm);
	if (!n) {
		em->err = -ENOMEM;
		goto out;
	}
	/* Appending private nodes to a private treap never copies. */
	txn_merge(em->x, em->out, n, &em->out);
	em->count++;
out:
	em->pm = 0;
}

/* Adds [a, b) with mode @m, joining the pending interval if they touch. */
static void emit_piece(struct emitter *em, u64 a, u64 b, u32 m)
{
	if (a >= b)
		return;
	if (em->pm && em->pe == a && em->pm == m) {
		em->pe = b;
		return;
	}
	emit_flush(em);
	em->ps = a;
	em->pe = b;
	em->pm = m;
}

/* Adds [a, b), which had mode @m, with the change applied where it falls. */
static void emit_span(struct emitter *em, u64 a, u64 b, u32 m)
{
	u64 lo = a > em->s ? a : em->s;
	u64 hi = b < em->e ? b : em->e;

	if (a < em->s)
		emit_piece(em, a, b < em->s ? b : em->s, m);
	if (lo < hi)
		emit_piece(em, lo, hi,
			   em->grant ? m | em->mode : m & ~em->mode);
	if (b > em->e)
		emit_piece(em, a > em->e ? a : em->e, b, m);
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
	struct rtxn x = { .t = t, .gen = t->gen };
	struct emitter em = {
		.x = &x, .dev = dev, .s = start, .e = end,
		.mode = mode, .grant = grant,
	};
	struct gdl_rnode *a, *b, *m, *r, *root;
	const struct gdl_rnode *p, *n;
	u64 lo = start, pos, old = 0;

	/*
	 * The span also takes in the intervals that touch the range, so that
	 * the new intervals coalesce with them: one that starts before @start
	 * and reaches it, and one that starts at @end.
	 */
	p = start ? rtree_floor(t->root, dev, start - 1) : NULL;
	if (p && p->dev == dev && p->end >= start)
		lo = p->start;
	if (txn_split(&x, t->root, dev, lo, &a, &b) ||
	    txn_split(&x, b, dev, end == U64_MAX_ ? end : end + 1, &m, &r))
		goto nomem;
	if (!m && !grant) {
		txn_abort(&x);	/* nothing granted there: nothing to do */
		return 0;
	}

	pos = lo;
	for (n = gdl_rtree_ceil(m, dev, 0); n; ) {
		struct gdl_rnode *cur = (struct gdl_rnode *)n;

		emit_span(&em, pos, n->start, 0);
		emit_span(&em, n->start, n->end, n->mode);
		pos = n->end;
		old++;
		n = gdl_rtree_ceil(m, dev, n->start + 1);
		txn_drop(&x, cur);
	}
	if (pos < end)
		emit_span(&em, pos, end, 0);
	emit_flush(&em);
	if (em.err)
		goto nomem;

	if (txn_merge(&x, a, em.out, &root) || txn_merge(&x, root, r, &root))
		goto nomem;
	txn_commit(&x, root, t->count - old + em.count);
	return 0;

nomem:
	txn_abort(&x);
	return -ENOMEM;
}

void gdl_rtree_init(struct gdl_rtree *t)
{
	t->root = NULL;
	t->count = 0;
	t->gen = 1;
}

/**
 * gdl_rtree_free_now - free a whole tree no reader can reach any more
 * @root: the tree
 *
 * Rotates left children up until the root has none, then frees it and goes
 * right: O(n), no recursion, no extra memory.
 */
void gdl_rtree_free_now(struct gdl_rnode *root)
{
	while (root) {
		struct gdl_rnode *l = root->left;

		if (l) {
			root->left = l->right;
			l->right = root;
			root = l;
		} else {
			struct gdl_rnode *next = root->right;

			gdl_zfree(root);
			root = next;
		}
	}
}
