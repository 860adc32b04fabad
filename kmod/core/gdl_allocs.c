// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_allocs.c - allocations, quotas and owners
 *
 * One spinlock (alloc_lock) covers every byte count (agents, devices, the
 * core), the allocation hash and the owner lists, so a reservation and the
 * record that accounts for it appear and vanish together.  Records are
 * allocated before the lock is taken and freed after it is dropped.
 */
#include "gdl_alloc.h"	/* the hot paths, inline */

#define GDL_RELEASE_BATCH	256	/* records freed per lock hold */

void gdl_alloc_trace(struct gdl_core *c, u32 kind, u64 agent_id, u32 dev,
		     u64 alloc_id, u64 size, int res, u64 used, u64 quota)
{
	struct gdl_decision d = {
		.kind = kind,
		.device = dev,
		.agent_id = agent_id,
		.alloc_id = alloc_id,
		.length = size,
		.result = res,
		.used = used,
		.quota = quota,
	};

	gdl_trace(c->env, &d);
}

/*
 * Creates an unknown agent on its first allocation, if the core allows:
 * never for a file bound to it after the operator removed it, and never
 * one removed lately (gdl_agent_remove()), whoever asks: a caller that
 * resolved it from a cgroup or uid binding just before the removal dropped
 * the binding would otherwise bring it back, with default_quota and every
 * device, a moment after the operator removed it.
 */
static int gdl_alloc_autocreate(struct gdl_core *c, struct gdl_owner *owner,
				u64 agent_id)
{
	bool found;
	int ret = 0;

	if (!c->default_quota || !agent_id)
		return -ENOENT;
	gdl_mutex_lock(&c->agents_lock);
	gdl_rcu_read_lock();
	found = gdl_agent_find(c, agent_id) != NULL;
	gdl_rcu_read_unlock();
	/* Removal sets removed_agent and removed[] under agents_lock: no window here. */
	if (!found && ((owner && READ_ONCE(owner->removed_agent) == agent_id) ||
		       gdl_agent_removed_lately(c, agent_id)))
		ret = -ENOENT;
	else if (!found)
		ret = gdl_agent_create_locked(c, agent_id, c->default_quota,
					      gdl_all_devices(c));
	gdl_mutex_unlock(&c->agents_lock);
	return ret;
}

int gdl_alloc_refuse(struct gdl_core *c, int ret, u64 agent_id, u32 device,
		     u64 size, u64 used, u64 quota, struct gdl_arec *r)
{
	u32 kind = ret == -EDQUOT ? GDL_DEC_QUOTA_VIOLATION :
				    GDL_DEC_ALLOC_FAIL;

	gdl_count(c, GDL_ST_ALLOC_FAILURES, 1);
	if (ret == -EDQUOT)
		gdl_count(c, GDL_ST_QUOTA_VIOLATIONS, 1);
	if (gdl_trace_on(c->env, kind))
		gdl_alloc_trace(c, kind, agent_id, device, 0, size, ret, used,
				quota);
	gdl_zfree(r);
	return ret;
}

/* The general case of gdl_alloc_lock_agent_fast(): see gdl_alloc.h. */
int gdl_alloc_lock_agent(struct gdl_core *c, struct gdl_owner *owner,
			 u64 agent_id, struct gdl_owner *spare_of,
			 struct gdl_arec **r, struct gdl_agent **agent)
{
	int ret;

	for (;;) {
		ret = gdl_alloc_try_lock_agent(c, agent_id, spare_of, r, agent);
		if (!ret)
			return 0;	/* held */
		if (ret == -EAGAIN) {
			/* The spare went to another thread. */
			*r = gdl_zalloc_account(sizeof(**r));
			if (!*r)
				return -ENOMEM;
			continue;
		}
		ret = gdl_alloc_autocreate(c, owner, agent_id);
		if (ret)
			return ret;
	}
}

int gdl_alloc_reserve(struct gdl_core *c, struct gdl_owner *owner,
		      u64 agent_id, u64 size, u32 device, u32 flags,
		      u64 *alloc_id, gdl_publish_fn *publish, void *to)
{
	if (!size || (flags & ~GDL_ALLOC_FLAGS) ||
	    (!owner && !(flags & GDL_ALLOC_PERSISTENT)))
		return gdl_alloc_refuse(c, -EINVAL, agent_id, device, size, 0,
					0, NULL);
	return gdl_alloc_reserve_valid(c, owner, agent_id, size, device,
				       flags, alloc_id, publish, to);
}

void gdl_alloc_settle(struct gdl_core *c, u64 alloc_id, bool keep)
{
	struct gdl_arec *r;
	u64 size = 0, agent_id = 0, used = 0, quota = 0;
	u32 device = 0;
	bool found = false;

	gdl_spin_lock(&c->alloc_lock);
	r = gdl_alloc_lookup(c, alloc_id);
	if (r && r->pending) {
		found = true;
		size = r->size;
		device = r->device;
		agent_id = r->agent_id;
		if (keep) {
			r->pending = false;
			used = r->agent->used;
			quota = r->agent->quota;
		} else {
			gdl_alloc_unlink(c, r);
		}
	}
	gdl_spin_unlock(&c->alloc_lock);
	if (!found)
		return;
	if (!keep) {
		gdl_zfree(r);
		return;
	}
	gdl_alloc_counted(c, agent_id, device, alloc_id, size, used, quota);
}

/* The core's own callers take the id from a variable: it always arrives. */
static bool gdl_publish_here(void *to, u64 alloc_id)
{
	return true;
}

int gdl_alloc(struct gdl_core *c, struct gdl_owner *owner, u64 agent_id,
	      u64 size, u32 device, u32 flags, u64 *alloc_id)
{
	return gdl_alloc_reserve(c, owner, agent_id, size, device, flags,
				 alloc_id, gdl_publish_here, NULL);
}

/*
 * Accounts, reports and frees a record already unlinked.  Reads nothing
 * through r->agent: the agent may be gone by now.  A record that was never
 * settled was never counted: it leaves without a trace.
 */
static void gdl_alloc_retire(struct gdl_core *c, struct gdl_arec *r)
{
	if (!r->pending) {
		gdl_count2(c, GDL_ST_FREES, 1, GDL_ST_BYTES_FREED, r->size);
		if (gdl_trace_on(c->env, GDL_DEC_FREE))
			gdl_alloc_trace(c, GDL_DEC_FREE, r->agent_id,
					r->device, r->id, r->size, 0,
					r->used_after, r->quota_then);
	}
	gdl_zfree(r);
}

int gdl_free_by(struct gdl_core *c, struct gdl_owner *caller, u64 alloc_id,
		u64 only_agent)
{
	return __gdl_free_by(c, caller, alloc_id, only_agent);
}

int gdl_free(struct gdl_core *c, u64 alloc_id, u64 only_agent)
{
	return gdl_free_by(c, NULL, alloc_id, only_agent);
}

s64 gdl_agent_release(struct gdl_core *c, u64 agent_id)
{
	struct hlist_head batch;
	struct hlist_node *tmp;
	struct gdl_arec *r;
	struct gdl_agent *a;
	s64 released = 0;
	u64 last;
	int i;

	/* agents_lock keeps the agent from being removed under us. */
	gdl_mutex_lock(&c->agents_lock);
	gdl_rcu_read_lock();
	a = gdl_agent_find(c, agent_id);
	gdl_rcu_read_unlock();
	if (!a) {
		gdl_mutex_unlock(&c->agents_lock);
		return -ENOENT;
	}
	/*
	 * Only what exists now: ids only grow (a reused spare gets a new one),
	 * so a workload that keeps allocating cannot keep this loop, and
	 * agents_lock with it, going for as long as it likes.
	 */
	gdl_spin_lock(&c->alloc_lock);
	last = c->next_alloc_id;
	gdl_spin_unlock(&c->alloc_lock);
	for (;;) {
		INIT_HLIST_HEAD(&batch);
		i = 0;
		gdl_spin_lock(&c->alloc_lock);
		hlist_for_each_entry_safe(r, tmp, &a->allocs, anode) {
			if (i == GDL_RELEASE_BATCH)
				break;
			/* Mid-ioctl: its caller settles it in a moment. */
			if (r->pending || r->id > last)
				continue;
			gdl_alloc_unlink(c, r);
			/* onode is free now (unlinked from any owner). */
			hlist_add_head(&r->onode, &batch);
			i++;
		}
		gdl_spin_unlock(&c->alloc_lock);
		if (!i)
			break;
		hlist_for_each_entry_safe(r, tmp, &batch, onode)
			gdl_alloc_retire(c, r);
		released += i;
		gdl_cond_resched();
	}
	gdl_mutex_unlock(&c->agents_lock);
	return released;
}

static struct list_head *gdl_owner_chain(struct gdl_core *c, u64 seq)
{
	return &c->owner_hash[seq & ((1u << GDL_OWNER_HASH_BITS) - 1)];
}

void gdl_owner_init(struct gdl_core *c, struct gdl_owner *owner)
{
	INIT_HLIST_HEAD(&owner->allocs);
	owner->nallocs = 0;
	owner->bytes = 0;
	owner->removed_agent = 0;
	owner->spare = NULL;
	gdl_spin_lock(&c->alloc_lock);
	/* Ascending seqs: appending keeps each chain sorted. */
	owner->seq = ++c->next_owner_seq;
	list_add_tail(&owner->node, gdl_owner_chain(c, owner->seq));
	gdl_spin_unlock(&c->alloc_lock);
}

void gdl_owner_release(struct gdl_core *c, struct gdl_owner *owner)
{
	struct gdl_arec *r, *spare = NULL;
	struct hlist_head batch;
	struct hlist_node *tmp;
	bool done;
	int i;

	do {
		INIT_HLIST_HEAD(&batch);
		gdl_spin_lock(&c->alloc_lock);
		for (i = 0; i < GDL_RELEASE_BATCH &&
			    !hlist_empty(&owner->allocs); i++) {
			r = hlist_entry(owner->allocs.first, struct gdl_arec,
					onode);
			gdl_alloc_unlink(c, r);
			hlist_add_head(&r->onode, &batch);
		}
		done = hlist_empty(&owner->allocs);
		if (done) {
			list_del(&owner->node);
			spare = owner->spare;
			owner->spare = NULL;
		}
		gdl_spin_unlock(&c->alloc_lock);

		hlist_for_each_entry_safe(r, tmp, &batch, onode)
			gdl_alloc_retire(c, r);
		gdl_cond_resched();
	} while (!done);
	gdl_zfree(spare);
}

/* At destroy: every owner is gone; free what is left (persistent ones). */
void gdl_allocs_destroy(struct gdl_core *c)
{
	u32 b;

	for (b = 0; b < (1u << GDL_ALLOC_HASH_BITS); b++) {
		struct hlist_node *tmp;
		struct gdl_arec *r;

		hlist_for_each_entry_safe(r, tmp, &c->alloc_hash[b], hnode)
			gdl_zfree(r);
		INIT_HLIST_HEAD(&c->alloc_hash[b]);
	}
}
