// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_rtree_txn.c - a tree transaction's machinery: new nodes, the packers
 * that cut a level's items into nodes, the boundary merge, and commit or
 * rollback.  gdl_rtree_apply.c decides what goes into the packers.
 *
 * Below every level there is a packer: a small buffer of that level's
 * items (intervals, or child nodes with their keys) that cuts them into
 * new nodes; a full packer emits a full node into the packer above.  A
 * child linked as it is (shared, not copied) brings its key from the node
 * it came from, so a change reads only the nodes it replaces, never the
 * siblings it keeps.
 *
 * Until the root is published nothing a reader can see has changed, so a
 * failed allocation anywhere simply frees every node the transaction
 * created.  No recursion except the boundary merge (depth < GDL_RMAXH,
 * small frames); the buffers live in the transaction's allocation.
 */
#include "gdl_rtree.h"

/* A transaction on @t (its writer holds the owning agent's lock), or NULL. */
struct rtxn *gdl_rtx_open(struct gdl_rtree *t)
{
	struct rtxn *x = gdl_malloc(sizeof(*x));
	u32 j;

	if (!x)
		return NULL;
	memset(x, 0, offsetof(struct rtxn, lv));
	for (j = 0; j < MAXH; j++)
		x->pk[j].n = 0;
	x->t = t;
	return x;
}

static struct gdl_rnode *txn_node(struct rtxn *x, u32 level)
{
	struct gdl_rnode *n;
	u32 k;

	if (x->err)
		return NULL;
	n = gdl_zalloc(sizeof(*n));
	if (!n) {
		x->err = -ENOMEM;
		return NULL;
	}
	n->l.level = (u8)level;
	n->l.flags = GDL_RN_OWN;
	/*
	 * Unused keys above every address: one-device lookups count them
	 * all, with no bound (leaf_rank(), in_pick()).
	 */
	if (!level) {
		for (k = 0; k < LMAX; k++)
			n->l.g[k / GDL_RGROUP].start[k % GDL_RGROUP] = GDL_RKEY_NONE;
		for (k = 0; k < GDL_RGROUPS; k++)
			n->l.sep[k] = GDL_RKEY_NONE;
	} else {
		for (k = 0; k < IMAX; k++)
			n->i.e[k].key = GDL_RKEY_NONE;
		for (k = 0; k < GDL_RPICK_N - 1; k++)
			n->i.pkey[k] = GDL_RKEY_NONE;
	}
	n->link = x->created;
	x->created = n;
	return n;
}

/* A node this transaction no longer links: freed at commit or after a GP. */
void gdl_rtx_drop(struct rtxn *x, struct gdl_rnode *n)
{
	if (n->l.flags & GDL_RN_OWN) {
		n->l.flags |= GDL_RN_DEAD;  /* still on @created, its owner */
		return;
	}
	/* @link is never read by readers: safe to set on a published node. */
	n->link = x->garbage;
	x->garbage = n;
}

/* New nodes ------------------------------------------------------------- */

/* Sets a new leaf's count, separators and device flag. */
static void leaf_seal(struct gdl_rnode *n, u32 c)
{
	u32 k;

	n->l.n = (u8)c;
	n->l.onedev = (u8)r_dev(n, 0);
	for (k = 1; k < c; k++)
		if (r_dev(n, k) != r_dev(n, 0))
			n->l.onedev = GDL_RDEV_MIXED;
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

/*
 * Child @i of a new inner node: @c, whose first key is (@dev, @key).
 * Children are set in order from 0 (the count and the device byte rely on it).
 */
static void in_set(struct gdl_rnode *n, u32 i, struct gdl_rnode *c, u32 dev,
		   u64 key)
{
	n->i.e[i].child = c;
	n->i.kdev[i] = (u8)dev;
	n->i.e[i].key = key;
	if (i && i % GDL_RPICK_W == 0)
		n->i.pkey[i / GDL_RPICK_W - 1] = key;
	if (!i)
		n->i.onedev = (u8)dev;
	else if (n->i.kdev[i] != n->i.kdev[0])
		n->i.onedev = GDL_RDEV_MIXED;
	n->i.n = (u8)(i + 1);
}

/* An inner node of @c children: packer @p's, from @from on. */
static struct gdl_rnode *mk_inner(struct rtxn *x, u32 level,
				  const struct rt_packer *p, u32 from, u32 c)
{
	struct gdl_rnode *n = txn_node(x, level);
	u32 i;

	if (!n)
		return NULL;
	for (i = 0; i < c; i++)
		in_set(n, i, p->v[from + i], p->dev[from + i],
		       p->key[from + i]);
	return n;
}

/* Packers --------------------------------------------------------------- */

/* Appends child @nd, first key (@dev, @key), to the packer of level @j. */
static void pk_add(struct rtxn *x, u32 j, struct gdl_rnode *nd, u32 dev,
		   u64 key)
{
	while (!x->err) {
		struct rt_packer *p;

		if (j >= MAXH) {
			x->err = -ENOMEM;	/* over 12^8 leaves: never */
			return;
		}
		p = &x->pk[j];
		p->v[p->n] = nd;
		p->dev[p->n] = (u8)dev;
		p->key[p->n] = key;
		if (++p->n < ICAP)
			return;
		nd = mk_inner(x, j, p, 0, IMAX);
		if (!nd)
			return;
		memmove(p->v, p->v + IMAX, IMIN * sizeof(p->v[0]));
		memmove(p->dev, p->dev + IMAX, IMIN * sizeof(p->dev[0]));
		memmove(p->key, p->key + IMAX, IMIN * sizeof(p->key[0]));
		p->n = IMIN;
		dev = nkey_dev(nd);
		key = nkey_start(nd);
		j++;
	}
}

/* Appends a node this transaction made (its key is at hand in it). */
static void pk_add_new(struct rtxn *x, u32 j, struct gdl_rnode *nd)
{
	if (!x->err)
		pk_add(x, j, nd, nkey_dev(nd), nkey_start(nd));
}

/* Links child @k of published node @parent as it is, at its level. */
void gdl_rtx_pack_child(struct rtxn *x, const struct gdl_rnode *parent, u32 k)
{
	pk_add(x, parent->i.level, parent->i.e[k].child, parent->i.kdev[k],
	       parent->i.e[k].key);
}

/* Appends an interval to the leaf packer. */
void gdl_rtx_pack_ival(struct rtxn *x, u64 s, u64 e, u32 d, u32 m)
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
	pk_add_new(x, 1, nd);
}

/*
 * Empties the packer of level @j into one node, or two: halves, or at the
 * right edge of the tree a full node and the rest (see right_edge()).
 */
static u32 pk_make(struct rtxn *x, u32 j, bool edge, struct gdl_rnode **out)
{
	u32 c = j ? x->pk[j].n : x->nl, max = j ? IMAX : LMAX, a;

	if (!c)
		return 0;
	a = c <= max ? c : edge ? max : (c + 1) / 2;
	if (j) {
		out[0] = mk_inner(x, j, &x->pk[j], 0, a);
		if (a < c)
			out[1] = mk_inner(x, j, &x->pk[j], a, c - a);
		x->pk[j].n = 0;
	} else {
		out[0] = mk_leaf(x, x->lv, a);
		if (a < c)
			out[1] = mk_leaf(x, x->lv + a, c - a);
		x->nl = 0;
	}
	return a < c ? 2 : 1;
}

/* The boundary merge ---------------------------------------------------- */

static u32 rt_merge(struct rtxn *x, struct gdl_rnode *a, struct gdl_rnode *b,
		    struct gdl_rnode **out);

/* Merges leaves @a and @b into one leaf or two halves, in @out. */
static u32 merge_leaves(struct rtxn *x, const struct gdl_rnode *a,
			const struct gdl_rnode *b, struct gdl_rnode **out)
{
	u32 na = a->l.n, nb = b->l.n, c = na + nb;
	u32 h = c <= LMAX ? c : (c + 1) / 2;

	out[0] = mk_leaf2(x, a, 0, h < na ? h : na, b, 0, h);
	if (h == c)
		return 1;
	out[1] = h < na ? mk_leaf2(x, a, h, na - h, b, 0, c - h) :
			  mk_leaf2(x, b, h - na, c - h, b, 0, c - h);
	return 2;
}

/*
 * Merges inner nodes @a and @b: @a's children but its last, then the
 * two children where they meet (merged first if one is under half full),
 * then @b's but its first; into one node or two halves, in @out.
 */
static u32 merge_inner(struct rtxn *x, const struct gdl_rnode *a,
		       const struct gdl_rnode *b, struct gdl_rnode **out)
{
	struct gdl_rnode *mid[2], *n = NULL;
	u32 na = a->i.n, nb = b->i.n, nm = 2, c, h, i, k;
	u8 mdev[2] = { a->i.kdev[na - 1], b->i.kdev[0] };
	u64 mkey[2] = { a->i.e[na - 1].key, b->i.e[0].key };

	mid[0] = a->i.e[na - 1].child;
	mid[1] = b->i.e[0].child;
	if (underfull(mid[0]) || underfull(mid[1])) {
		nm = rt_merge(x, mid[0], mid[1], mid);
		for (i = 0; i < nm && !x->err; i++) {
			mdev[i] = (u8)nkey_dev(mid[i]);
			mkey[i] = nkey_start(mid[i]);
		}
	}
	if (x->err)
		return 0;
	c = na - 1 + nm + nb - 1;
	h = c <= IMAX ? c : (c + 1) / 2;
	for (k = 0; k < c; k++) {
		u32 at = k < h ? k : k - h;

		if (at == 0) {
			n = txn_node(x, a->i.level);
			if (!n)
				return 0;
			out[k < h ? 0 : 1] = n;
		}
		if (k < na - 1)
			in_set(n, at, a->i.e[k].child, a->i.kdev[k], a->i.e[k].key);
		else if ((i = k - (na - 1)) < nm)
			in_set(n, at, mid[i], mdev[i], mkey[i]);
		else
			in_set(n, at, b->i.e[i - nm + 1].child,
			       b->i.kdev[i - nm + 1], b->i.e[i - nm + 1].key);
	}
	return h < c ? 2 : 1;
}

/*
 * Merges neighbours @a and @b of one level, one of them under half full
 * (of old nodes only the last of a level may be), into one node or two
 * halves in @out: both are dropped.  If the children where they meet are
 * not both at least half full, those are merged first, down to the leaves.
 */
static u32 rt_merge(struct rtxn *x, struct gdl_rnode *a, struct gdl_rnode *b,
		    struct gdl_rnode **out)
{
	u32 c;

	if (x->err)
		return 0;
	c = a->l.level ? merge_inner(x, a, b, out) : merge_leaves(x, a, b, out);
	gdl_rtx_drop(x, a);
	gdl_rtx_drop(x, b);
	return c;
}

/* Closing: bottom up to the new root ------------------------------------ */

/* Children of the path to the span's last leaf at level @j not yet used. */
static bool right_left(const struct rtxn *x, u32 j, u32 height)
{
	return j <= height && x->rnode[j] && x->rfirst[j] < x->rnode[j]->i.n;
}

/*
 * What level @j's packer makes is the last of its level in the tree:
 * nothing is right of the path above it.  Only these nodes may be under
 * half full.  Grants usually come in ascending addresses, each one past
 * the last: split in halves, they left every node half full (100 000 such
 * grants, four inner levels); split full-and-rest, the nodes left behind
 * are full (three), and a lookup passes one inner node less.
 */
static bool right_edge(const struct rtxn *x, u32 j, u32 height)
{
	u32 k;

	for (k = j + 1; k < MAXH; k++)
		if (right_left(x, k, height))
			return false;
	return true;
}

/* Nothing above level @j: at the right edge, and nothing in packers. */
static bool top_level(const struct rtxn *x, u32 j, u32 height)
{
	u32 k;

	for (k = j + 1; k < MAXH; k++)
		if (x->pk[k].n)
			return false;
	return right_edge(x, j, height);
}

/*
 * A lone node @out[0] left under half full at level @j: merged with its
 * neighbour, the last item packed above or the first right of the path.
 * With neither it is the only child of its parent and goes up as it is.
 */
static u32 close_underfull(struct rtxn *x, u32 j, u32 height,
			   struct gdl_rnode **out)
{
	struct rt_packer *up = &x->pk[j + 1];

	if (up->n)
		return rt_merge(x, up->v[--up->n], out[0], out);
	if (right_left(x, j + 1, height))
		return rt_merge(x, out[0],
				x->rnode[j + 1]->i.e[x->rfirst[j + 1]++].child,
				out);
	return 1;
}

/*
 * Level @j is the top: its packer gives the root.  A lone child becomes
 * the root itself, and so does its only child while it has one: the last
 * node of a level may have one child (a revoke that empties everything
 * left of it leaves it alone at the top), and a root of one child would
 * cost every lookup a level.
 */
static struct gdl_rnode *close_root(struct rtxn *x, u32 j)
{
	struct gdl_rnode *out[2], *root = NULL;

	if (j && x->pk[j].n == 1) {
		root = x->pk[j].v[0];
		x->pk[j].n = 0;
	} else if (pk_make(x, j, true, out)) {
		root = out[0];
	}
	while (root && root->l.level && root->i.n == 1) {
		gdl_rtx_drop(x, root);
		root = root->i.e[0].child;
	}
	return root;
}

/*
 * Step 3: bottom up, adds each level's children right of the path and
 * empties its packer into the level above; returns the new root.
 * (No root of one child comes out: close_root() takes the child.)
 */
struct gdl_rnode *gdl_rtx_close(struct rtxn *x, u32 height)
{
	struct gdl_rnode *out[2];
	u32 j, k, c;
	bool edge;

	for (j = 0; j < MAXH && !x->err; j++) {
		if (right_left(x, j, height)) {
			struct gdl_rnode *rn = x->rnode[j];

			for (k = x->rfirst[j]; k < rn->i.n; k++)
				gdl_rtx_pack_child(x, rn, k);
			x->rfirst[j] = rn->i.n;
		}
		c = j ? x->pk[j].n : x->nl;
		if (top_level(x, j, height) && c <= (j ? IMAX : LMAX))
			return close_root(x, j);
		edge = right_edge(x, j, height);
		c = pk_make(x, j, edge, out);
		if (!x->err && c == 1 && underfull(out[0]) && !edge)
			c = close_underfull(x, j, height, out);
		for (k = 0; k < c; k++)
			pk_add_new(x, j + 1, out[k]);
	}
	return NULL;
}

/* Commit or rollback ---------------------------------------------------- */

static void rnode_free_chain(struct gdl_rcu_head *h)
{
	struct gdl_rnode *n = container_of(h, struct gdl_rnode, rcu);

	while (n) {
		struct gdl_rnode *next = n->link;

		gdl_zfree(n);
		n = next;
	}
}

void gdl_rtx_commit(struct rtxn *x, struct gdl_rnode *root, u64 count)
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

void gdl_rtx_abort(struct rtxn *x)
{
	struct gdl_rnode *n, *next;

	for (n = x->created; n; n = next) {
		next = n->link;
		gdl_zfree(n);
	}
	gdl_zfree(x);
}
