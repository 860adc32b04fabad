// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_rtree.c - DMA permission ranges: an immutable, path-copied treap of
 * runs of intervals
 *
 * Each agent's permissions are a set of disjoint half-open intervals keyed
 * by (device, start), each with nonzero mode bits, where no two intervals
 * that touch have the same mode (they would have been coalesced).  The
 * sorted sequence is cut into runs of up to GDL_RCHUNK intervals of one
 * device; each run is a node of a treap keyed by its first interval.
 * Published nodes never change: readers descend under RCU with no lock,
 * then search one run (one cache line of it), so a check costs O(log n).
 *
 * A change (gdl_rtree_apply) is one transaction under the agent's lock:
 *  1. split the tree around the affected span: A < M < R, where M holds
 *     every run with an interval in or touching the range, plus the run
 *     before it (so new intervals pack with their neighbours instead of
 *     leaving runs of one);
 *  2. stream M's intervals through the change (gaps filled by a grant,
 *     mode 0 dropped, touching equal modes coalesced) and pack the result
 *     into fresh runs, none less than half full unless it is alone;
 *  3. merge A, the new runs and R back together;
 *  4. publish the root, then free the replaced nodes after a grace period.
 * Steps 1 and 3 copy only the nodes on the search paths (copy on write:
 * a node created by this transaction is private and is changed in place),
 * so a change copies O(log n) nodes plus the span's runs.  Until the root
 * is published nothing a reader can see has changed, so a failed
 * allocation anywhere simply frees every node the transaction created.
 *
 * Splits and merges are loops, not recursion: the kernel stack never holds
 * more than one frame per operation, whatever the treap's depth.
 */
#include "gdl_internal.h"

#define U64_MAX_ (~0ull)

/* The layout the lookup relies on (see struct gdl_rnode). */
_Static_assert(sizeof(struct gdl_rgroup) == 64, "a group is one line");
_Static_assert(__builtin_offsetof(struct gdl_rnode, g) == 64,
	       "links and separators fill line 0");
_Static_assert(sizeof(struct gdl_rnode) <= 512, "one 512-byte slab object");

static inline u64 r_start(const struct gdl_rnode *r, u32 i)
{
	return r->g[i / GDL_RGROUP].start[i % GDL_RGROUP];
}

static inline u64 r_end(const struct gdl_rnode *r, u32 i)
{
	return r->g[i / GDL_RGROUP].end[i % GDL_RGROUP];
}

static inline u32 r_mode(const struct gdl_rnode *r, u32 i)
{
	return r->g[i / GDL_RGROUP].mode[i % GDL_RGROUP];
}

static inline void r_set(struct gdl_rnode *r, u32 i, u64 start, u64 end,
			 u32 mode)
{
	struct gdl_rgroup *g = &r->g[i / GDL_RGROUP];

	g->start[i % GDL_RGROUP] = start;
	g->end[i % GDL_RGROUP] = end;
	g->mode[i % GDL_RGROUP] = (u8)mode;
}

/* Refreshes the separators after a private run's intervals changed. */
static void r_seal(struct gdl_rnode *r)
{
	u32 k;

	for (k = 0; k * GDL_RGROUP < r->n; k++)
		r->sep[k] = r->g[k].start[0];
}

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

/* Key of a run: (device, first start). */
static inline bool node_lt(const struct gdl_rnode *n, u32 dev, u64 at)
{
	return key_lt(n->dev, n->sep[0], dev, at);
}

static struct gdl_rnode *txn_node(struct rtxn *x, u32 dev)
{
	struct gdl_rnode *n = gdl_zalloc(sizeof(*n));

	if (!n)
		return NULL;
	n->dev = dev;
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
		if (node_lt(n, dev, key)) {
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

/* Lookups: under RCU, or on the writer's private version ---------------- */

/* The run with the greatest key <= (dev, at), or NULL. */
static const struct gdl_rnode *run_floor(const struct gdl_rnode *n, u32 dev,
					 u64 at)
{
	const struct gdl_rnode *best = NULL;

	while (n) {
		if (key_lt(dev, at, n->dev, n->sep[0])) {
			n = gdl_rcu_dereference(n->left);
		} else {
			best = n;
			n = gdl_rcu_dereference(n->right);
		}
	}
	return best;
}

/* The run with the smallest key >= (dev, at), or NULL. */
static const struct gdl_rnode *run_ceil(const struct gdl_rnode *n, u32 dev,
					u64 at)
{
	const struct gdl_rnode *best = NULL;

	while (n) {
		if (node_lt(n, dev, at)) {
			n = gdl_rcu_dereference(n->right);
		} else {
			best = n;
			n = gdl_rcu_dereference(n->left);
		}
	}
	return best;
}

/*
 * Index of the last interval of @r starting at or before @at (>= its first
 * start): the separators pick the group, one line holds the rest.
 */
static u32 run_index(const struct gdl_rnode *r, u64 at)
{
	u32 ng = (r->n + GDL_RGROUP - 1) / GDL_RGROUP, k = 0, j = 0;
	const struct gdl_rgroup *g;
	u32 left;

	while (k + 1 < ng && r->sep[k + 1] <= at)
		k++;
	g = &r->g[k];
	left = r->n - k * GDL_RGROUP;
	while (j + 1 < GDL_RGROUP && j + 1 < left && g->start[j + 1] <= at)
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
 * current one ends, in the same run or at the head of the next.
 */
bool gdl_rtree_covers(const struct gdl_rnode *root, u32 dev, u64 addr,
		      u64 end, u32 mode)
{
	const struct gdl_rnode *r = run_floor(root, dev, addr);
	u64 pos = addr;
	u32 i;

	if (!r || r->dev != dev)
		return false;
	i = run_index(r, pos);
	for (;;) {
		if (r_end(r, i) <= pos || (r_mode(r, i) & mode) != mode)
			return false;
		if (r_end(r, i) >= end)
			return true;
		pos = r_end(r, i);
		if (++i < r->n) {
			if (r_start(r, i) != pos)
				return false;
			continue;
		}
		r = run_floor(root, dev, pos);
		if (!r || r->dev != dev || r->sep[0] != pos)
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
	const struct gdl_rnode *r = run_floor(root, dev, start);
	u32 i = 0;

	if (r && r->dev == dev) {
		i = run_index(r, start);
		if (r_start(r, i) < start)
			i++;
	}
	if (!r || r->dev != dev || i == r->n) {
		/* Nothing left in the floor run: the head of the next one. */
		r = run_ceil(root, dev, start);
		i = 0;
	}
	if (!r)
		return false;
	out->start = r_start(r, i);
	out->end = r_end(r, i);
	out->dev = r->dev;
	out->mode = r_mode(r, i);
	return true;
}

/* Changes: the stream of new intervals and its packing into runs -------- */

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
 * @cur:     run being filled, not yet in @out
 * @prev:    last run put in @out
 * @out:     treap of the new runs (all private nodes)
 * @count:   intervals packed
 * @err:     first error
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
	struct gdl_rnode *cur, *prev, *out;
	u64 count;
	int err;
};

static u32 em_apply(const struct emitter *em, u32 m)
{
	return em->grant ? m | em->mode : m & ~em->mode;
}

/* Moves @k intervals of @from at @fi to @to at @ti (ranges may overlap). */
static void run_move(struct gdl_rnode *to, u32 ti, const struct gdl_rnode *from,
		     u32 fi, u32 k)
{
	u32 j;

	if (to == from && ti > fi) {
		for (j = k; j-- > 0; )
			r_set(to, ti + j, r_start(from, fi + j),
			      r_end(from, fi + j), r_mode(from, fi + j));
		return;
	}
	for (j = 0; j < k; j++)
		r_set(to, ti + j, r_start(from, fi + j), r_end(from, fi + j),
		      r_mode(from, fi + j));
}

/*
 * Puts the run being filled into @out.  A run is only sealed before it is
 * full when the stream ends or changes device; if the run before it is of
 * the same device, that one is full (private, still changeable), and a
 * short last run takes over its tail: no run is less than half full.
 */
static void pack_seal(struct emitter *em)
{
	struct gdl_rnode *cur = em->cur, *prev = em->prev;

	if (!cur)
		return;
	em->cur = NULL;
	if (cur->n < GDL_RCHUNK / 2 && prev && prev->dev == cur->dev) {
		u32 total = prev->n + cur->n, k;

		k = total / 2 - cur->n;
		run_move(cur, k, cur, 0, cur->n);
		run_move(cur, 0, prev, prev->n - k, k);
		prev->n = (u8)(prev->n - k);
		cur->n = (u8)(cur->n + k);
		r_seal(prev);
	}
	r_seal(cur);
	/* Appending private nodes to a private treap never copies. */
	txn_merge(em->x, em->out, cur, &em->out);
	em->prev = cur;
}

static void pack_pending(struct emitter *em)
{
	struct gdl_rnode *cur = em->cur;

	if (!em->pm || em->err)
		goto out;
	if (cur && (cur->dev != em->pd || cur->n == GDL_RCHUNK)) {
		pack_seal(em);
		cur = NULL;
	}
	if (!cur) {
		cur = txn_node(em->x, em->pd);
		if (!cur) {
			em->err = -ENOMEM;
			goto out;
		}
		em->cur = cur;
	}
	r_set(cur, cur->n, em->ps, em->pe, em->pm);
	cur->n++;
	em->count++;
out:
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

	/* Runs of later devices never reach the span: only earlier ones. */
	if (d != em->dev) {
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

static void emit_finish(struct emitter *em)
{
	emit_gap(em, em->e);
	pack_pending(em);
	if (!em->err)
		pack_seal(em);
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
		.mode = mode, .grant = grant, .pos = start,
	};
	const struct gdl_rnode *r, *next;
	struct gdl_rnode *a, *b, *m, *rest, *root;
	u64 lo = start, old = 0;
	u32 kdev = dev, i;

	/*
	 * The span starts at the interval that reaches @start from below (its
	 * new neighbour), and at the head of that interval's run, so that the
	 * change repacks it; it ends with the run holding an interval that
	 * starts at @end (the other neighbour).
	 */
	r = start ? run_floor(t->root, dev, start - 1) : NULL;
	if (r && r->dev == dev) {
		i = run_index(r, start - 1);
		if (r_end(r, i) >= start)
			lo = r_start(r, i);
	}
	r = run_floor(t->root, dev, lo);
	if (r) {
		kdev = r->dev;
		lo = r->sep[0];
	}
	if (txn_split(&x, t->root, kdev, lo, &a, &b) ||
	    txn_split(&x, b, dev, end == U64_MAX_ ? end : end + 1, &m, &rest))
		goto nomem;

	for (r = run_ceil(m, 0, 0); r; r = next) {
		for (i = 0; i < r->n; i++)
			emit_interval(&em, r->dev, r_start(r, i), r_end(r, i),
				      r_mode(r, i));
		old += r->n;
		next = run_ceil(m, r->dev, r->sep[0] + 1);
		txn_drop(&x, (struct gdl_rnode *)r);
	}
	emit_finish(&em);
	if (em.err)
		goto nomem;
	if (!em.changed) {
		txn_abort(&x);	/* every byte already as asked */
		return 0;
	}
	if (txn_merge(&x, a, em.out, &root) ||
	    txn_merge(&x, root, rest, &root))
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
