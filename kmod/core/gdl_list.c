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
		if (!a) {
			cur->a++;
			cur->b = 0;
		}
	}
	gdl_rcu_read_unlock();
	return (int)n;
}

int gdl_list_allocs(struct gdl_core *c, u64 agent_id, struct gdl_cursor *cur,
		    struct gdl_alloc_view *out, u32 max)
{
	const u64 nb = 1u << GDL_ALLOC_HASH_BITS;
	struct gdl_arec *r;
	u32 n = 0;

	gdl_spin_lock(&c->alloc_lock);
	while (n < max && cur->a < nb) {
		struct list_head *h = &c->alloc_hash[cur->a];
		bool rest = false;	/* stopped before the chain's end */

		list_for_each_entry(r, h, hnode) {
			struct gdl_alloc_view *v;

			if (r->id <= cur->b || r->pending ||
			    (agent_id && r->agent_id != agent_id))
				continue;
			if (n == max) {
				rest = true;
				break;
			}
			v = &out[n++];
			v->alloc_id = r->id;
			v->agent_id = r->agent_id;
			v->size = r->size;
			v->device = r->device;
			v->flags = r->flags;
			v->owner_pid = r->owner ? r->owner->pid : 0;
			v->pad = 0;
			cur->b = r->id;
		}
		if (!rest) {
			cur->a++;
			cur->b = 0;
		}
	}
	gdl_spin_unlock(&c->alloc_lock);
	return (int)n;
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
			if (!a) {
				cur->b = GDL_CUR_DONE;
				break;
			}
			cur->a = a->id;
			cur->b = 0;
			cur->c = 0;
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
		if (!a) {
			cur->b = GDL_CUR_DONE;
			break;
		}
		cur->a = a->id;
		cur->b = 0;
		cur->c = 0;
	}
	gdl_rcu_read_unlock();
	return (int)n;
}

int gdl_list_owners(struct gdl_core *c, struct gdl_cursor *cur,
		    struct gdl_owner_view *out, u32 max)
{
	const u64 nb = 1u << GDL_OWNER_HASH_BITS;
	struct gdl_owner *o;
	u32 n = 0;

	gdl_spin_lock(&c->alloc_lock);
	while (n < max && cur->a < nb) {
		bool rest = false;	/* stopped before the chain's end */

		list_for_each_entry(o, &c->owner_hash[cur->a], node) {
			struct gdl_owner_view *v;

			if (o->seq <= cur->b)
				continue;
			if (n == max) {
				rest = true;
				break;
			}
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
		if (!rest) {
			cur->a++;
			cur->b = 0;
		}
	}
	gdl_spin_unlock(&c->alloc_lock);
	return (int)n;
}
