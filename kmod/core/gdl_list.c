// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_list.c - cursor-based listings for /proc and the agent
 *
 * Cursors name the last record copied by a key that survives changes:
 * agents by (bucket, id), allocations by (bucket, id), ranges by (agent,
 * device, start), owners by (bucket, seq).  A batch resumes by skipping at
 * most one chain's head, never the table's: anyone may open 100 000 files,
 * and a listing must not hold the allocation lock for a walk of all of them
 * per batch.
 */
#include "gdl_internal.h"

#define GDL_CUR_DONE	(1ull << 63)	/* grants cursor: walk finished */

/* Hash listings: this chain is done, the next starts at its head. */
static inline void gdl_cursor_next_chain(struct gdl_cursor *cur)
{
	cur->a++;
	cur->b = 0;
}

int gdl_list_agents(struct gdl_core *c, struct gdl_cursor *cur,
		    struct gdl_agent_view *out, u32 max)
{
	u32 nb = 1u << c->agent_bits, n = 0;
	struct gdl_agent *a;

	gdl_rcu_read_lock();
	while (n < max && cur->a < nb) {
		a = gdl_rcu_dereference(c->agent_hash[cur->a]);
		while (a && a->id <= cur->b)
			a = gdl_rcu_dereference(a->next);
		for (; a && n < max; a = gdl_rcu_dereference(a->next)) {
			struct gdl_agent_view *v = &out[n++];

			v->agent_id = a->id;
			v->quota = READ_ONCE(a->quota);
			v->used = READ_ONCE(a->used);
			v->device_mask = READ_ONCE(a->device_mask);
			v->allocations = READ_ONCE(a->nallocs);
			v->grants = READ_ONCE(a->ranges.count);
			cur->b = a->id;
		}
		if (!a)
			gdl_cursor_next_chain(cur);
	}
	gdl_rcu_read_unlock();
	return (int)n;
}

/*
 * gdl_chain_next - the walk of the owners' hash listing: the node after
 * @prev in chain cur->a or, once that chain is done, the head of the next
 * nonempty one (with cur->b back to 0: none of it listed yet); NULL at the
 * end of the table (2^@bits chains).  @prev NULL starts at chain cur->a's
 * head.  A chain holds ascending keys, so the caller skips those up to
 * cur->b.
 */
static struct list_head *gdl_chain_next(struct list_head *hash,
					unsigned int bits,
					struct gdl_cursor *cur,
					struct list_head *prev)
{
	struct list_head *p = prev ? prev->next : NULL;

	while (cur->a < (1ull << bits)) {
		struct list_head *head = &hash[cur->a];

		if (!p)
			p = head->next;
		if (p != head)
			return p;
		gdl_cursor_next_chain(cur);
		p = NULL;
	}
	return NULL;
}

/*
 * An allocation chain holds descending ids (newest first): cur->b, the
 * last id listed from chain cur->a (0: none yet), is where a batch resumes.
 */
int gdl_list_allocs(struct gdl_core *c, u64 agent_id, struct gdl_cursor *cur,
		    struct gdl_alloc_view *out, u32 max)
{
	struct gdl_arec *r = NULL;
	u32 n = 0;

	gdl_spin_lock(&c->alloc_lock);
	while (n < max && cur->a < (1ull << GDL_ALLOC_HASH_BITS)) {
		hlist_for_each_entry(r, &c->alloc_hash[cur->a], hnode) {
			if ((cur->b && r->id >= cur->b) || r->pending ||
			    (agent_id && r->agent_id != agent_id))
				continue;
			if (n == max)
				break;
			out[n++] = (struct gdl_alloc_view){
				.alloc_id = r->id,
				.agent_id = r->agent_id,
				.size = r->size,
				.device = r->device,
				.flags = r->flags,
				.owner_pid = r->owner ? r->owner->pid : 0,
			};
			cur->b = r->id;
		}
		if (!r)		/* the chain is done */
			gdl_cursor_next_chain(cur);
	}
	gdl_spin_unlock(&c->alloc_lock);
	return (int)n;
}

/* Grants cursor: at agent @a's first range, or at the walk's end if none. */
static bool gdl_cursor_agent(struct gdl_cursor *cur, const struct gdl_agent *a)
{
	if (!a) {
		cur->b = GDL_CUR_DONE;
		return false;
	}
	cur->a = a->id;
	cur->b = 0;
	cur->c = 0;
	return true;
}

int gdl_list_grants(struct gdl_core *c, u64 agent_id, struct gdl_cursor *cur,
		    struct gdl_grant_view *out, u32 max)
{
	const struct gdl_rnode *root;
	struct gdl_range range;
	struct gdl_agent *a;
	u32 n = 0;

	gdl_rcu_read_lock();
	while (n < max && !(cur->b & GDL_CUR_DONE)) {
		if (!cur->a) {
			a = agent_id ? gdl_agent_find(c, agent_id) :
				       gdl_agent_next(c, 0);
			if (!gdl_cursor_agent(cur, a))
				break;
		} else {
			/* Gone since the last call: its ranges end here. */
			a = gdl_agent_find(c, cur->a);
		}
		root = a ? gdl_rcu_dereference(a->ranges.root) : NULL;
		while (n < max &&
		       gdl_rtree_next(root, (u32)cur->b, cur->c, &range)) {
			struct gdl_grant_view *v = &out[n++];

			v->agent_id = cur->a;
			v->start = range.start;
			v->length = range.end - range.start;
			v->device = range.dev;
			v->mode = range.mode;
			cur->b = range.dev;
			cur->c = range.start + 1; /* no wrap: start < end */
		}
		if (n == max)
			break;
		a = agent_id ? NULL : gdl_agent_next(c, cur->a);
		if (!gdl_cursor_agent(cur, a))
			break;
	}
	gdl_rcu_read_unlock();
	return (int)n;
}

int gdl_list_owners(struct gdl_core *c, struct gdl_cursor *cur,
		    struct gdl_owner_view *out, u32 max)
{
	struct list_head *p = NULL;
	u32 n = 0;

	gdl_spin_lock(&c->alloc_lock);
	while (n < max && (p = gdl_chain_next(c->owner_hash, GDL_OWNER_HASH_BITS,
						cur, p))) {
		struct gdl_owner *o = list_entry(p, struct gdl_owner, node);
		struct gdl_owner_view *v;

		if (o->seq <= cur->b)
			continue;
		v = &out[n++];
		v->bound_agent = READ_ONCE(o->bound_agent);
		v->nallocs = o->nallocs;
		v->bytes = o->bytes;
		v->pid = o->pid;
		v->pad = 0;
		memcpy(v->comm, o->comm, sizeof(v->comm));
		v->comm[sizeof(v->comm) - 1] = '\0';
		cur->b = o->seq;
	}
	gdl_spin_unlock(&c->alloc_lock);
	return (int)n;
}
