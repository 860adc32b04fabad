// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_allocs.c - allocations, quotas and owners
 *
 * One spinlock (alloc_lock) covers every byte count (agents, devices, the
 * core), the allocation hash and the owner lists, so a reservation and the
 * record that accounts for it appear and vanish together.  Records are
 * allocated before the lock is taken and freed after it is dropped.
 */
#include "gdl_internal.h"

#define GDL_RELEASE_BATCH	256	/* records freed per lock hold */

static struct hlist_head *gdl_alloc_chain(struct gdl_core *c, u64 id)
{
	return &c->alloc_hash[id & ((1u << GDL_ALLOC_HASH_BITS) - 1)];
}

static void gdl_alloc_trace(struct gdl_core *c, u32 kind, u64 agent_id,
			    u32 dev, u64 alloc_id, u64 size, int res,
			    u64 used, u64 quota)
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
 * never for a file bound to it after the operator removed it.
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
	/* Removal sets removed_agent under agents_lock: no window here. */
	if (!found && owner && READ_ONCE(owner->removed_agent) == agent_id)
		ret = -ENOENT;
	else if (!found)
		ret = gdl_agent_create_locked(c, agent_id, c->default_quota,
					      gdl_all_devices(c));
	gdl_mutex_unlock(&c->agents_lock);
	return ret;
}

/*
 * Decides and, if allowed, links @r (pending).  Under alloc_lock.  Reports
 * the agent's usage and quota for the decision record in @used and @quota.
 * Sets every field of @r but @size, @device and @flags (set by the caller)
 * and @used_after and @quota_then (set when it leaves): a reused record is
 * not cleared first.
 */
static int gdl_alloc_charge(struct gdl_core *c, struct gdl_agent *a,
			    struct gdl_arec *r, struct gdl_owner *owner,
			    u64 *used, u64 *quota)
{
	struct gdl_dev *dev = &c->dev[r->device];
	int ret = 0;

	if (!((a->device_mask >> r->device) & 1))
		ret = -EPERM;
	else if (r->size > a->quota || a->used > a->quota - r->size)
		ret = -EDQUOT;
	else if (c->max_agent_allocs && a->nallocs >= c->max_agent_allocs)
		ret = -EDQUOT;	/* a quota on kernel objects */
	else if (r->size > dev->desc.capacity - dev->used)
		ret = -ENOSPC;
	if (!ret) {
		r->id = ++c->next_alloc_id;
		r->agent = a;
		r->agent_id = a->id;
		r->pending = true;
		r->owner = owner;
		/* The highest id yet: at the head, each chain stays sorted. */
		hlist_add_head(&r->hnode, gdl_alloc_chain(c, r->id));
		hlist_add_head(&r->anode, &a->allocs);
		if (owner) {
			hlist_add_head(&r->onode, &owner->allocs);
			owner->nallocs++;
			owner->bytes += r->size;
		} else {
			INIT_HLIST_NODE(&r->onode);
		}
		a->used += r->size;
		a->nallocs++;
		dev->used += r->size;
		c->live++;
		c->used += r->size;
	}
	*used = a->used;
	*quota = a->quota;
	return ret;
}

static void gdl_alloc_refused(struct gdl_core *c, int ret, u64 agent_id,
			      u32 device, u64 size, u64 used, u64 quota)
{
	u32 kind = ret == -EDQUOT ? GDL_DEC_QUOTA_VIOLATION :
				    GDL_DEC_ALLOC_FAIL;

	gdl_count(c, GDL_ST_ALLOC_FAILURES, 1);
	if (ret == -EDQUOT)
		gdl_count(c, GDL_ST_QUOTA_VIOLATIONS, 1);
	if (gdl_trace_on(c->env, kind))
		gdl_alloc_trace(c, kind, agent_id, device, 0, size, ret, used,
				quota);
}

/* A settled allocation: counted and reported.  Outside alloc_lock. */
static __always_inline void gdl_alloc_counted(struct gdl_core *c,
					      u64 agent_id, u32 device,
					      u64 alloc_id, u64 size, u64 used,
					      u64 quota)
{
	gdl_count(c, GDL_ST_ALLOCS, 1);
	gdl_count(c, GDL_ST_BYTES_ALLOCATED, size);
	if (gdl_trace_on(c->env, GDL_DEC_ALLOC))
		gdl_alloc_trace(c, GDL_DEC_ALLOC, agent_id, device, alloc_id,
				size, 0, used, quota);
}

/*
 * Finds @agent_id alive and takes alloc_lock, inside an RCU read section
 * (both held on success); creates the agent if the core allows.  With
 * @spare_of set, also takes that owner's spare record into *@r under the
 * lock when *@r is NULL (*@r is never NULL without @spare_of); when it has
 * none (another thread took it), drops both and allocates a record first.
 */
static int gdl_alloc_lock_agent(struct gdl_core *c, struct gdl_owner *owner,
				u64 agent_id, struct gdl_owner *spare_of,
				struct gdl_arec **r, struct gdl_agent **agent)
{
	struct gdl_agent *a;
	int ret;

	for (;;) {
		gdl_rcu_read_lock();
		a = gdl_agent_find(c, agent_id);
		if (a) {
			bool dead;

			gdl_spin_lock(&c->alloc_lock);
			dead = a->dead;
			if (!dead && !*r) {
				*r = spare_of->spare;
				spare_of->spare = NULL;
			}
			if (!dead && *r) {
				*agent = a;
				return 0;	/* both held */
			}
			gdl_spin_unlock(&c->alloc_lock);
			if (!dead) {
				/* The spare went to another thread. */
				gdl_rcu_read_unlock();
				*r = gdl_zalloc_account(sizeof(**r));
				if (!*r)
					return -ENOMEM;
				continue;
			}
		}
		gdl_rcu_read_unlock();
		ret = gdl_alloc_autocreate(c, owner, agent_id);
		if (ret)
			return ret;
	}
}

int gdl_alloc_reserve(struct gdl_core *c, struct gdl_owner *owner,
		      u64 agent_id, u64 size, u32 device, u32 flags,
		      u64 *alloc_id, gdl_publish_fn *publish, void *to)
{
	struct gdl_owner *charged = flags & GDL_ALLOC_PERSISTENT ? NULL : owner;
	struct gdl_arec *r = NULL;
	struct gdl_agent *a;
	u64 used = 0, quota = 0, id = 0;
	bool settled = false;
	int ret;

	if (!size || (flags & ~GDL_ALLOC_FLAGS) ||
	    (!owner && !(flags & GDL_ALLOC_PERSISTENT))) {
		ret = -EINVAL;
		goto out;
	}
	if (device >= c->ndev) {
		ret = -ENODEV;
		goto out;
	}
	/*
	 * A record: the owner's spare if it has one (gdl_free_by), taken
	 * under the lock below with no lock of its own, else a fresh one
	 * charged to the memory cgroup of whoever asks (the workload).
	 */
	if (!charged || !READ_ONCE(charged->spare)) {
		r = gdl_zalloc_account(sizeof(*r));
		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = gdl_alloc_lock_agent(c, owner, agent_id, charged, &r, &a);
	if (ret)
		goto out;
	r->size = size;
	r->device = device;
	r->flags = flags;
	ret = gdl_alloc_charge(c, a, r, charged, &used, &quota);
	if (!ret) {
		id = r->id;
		/* Handed out now, the allocation needs no second lock. */
		settled = publish && publish(to, id);
		r->pending = !settled;
	} else if (charged && !charged->spare) {
		charged->spare = r;	/* kept: the next try allocates none */
		r = NULL;
	}
	/* From here a settled record may be freed by another thread. */
	gdl_spin_unlock(&c->alloc_lock);
	gdl_rcu_read_unlock();
	if (!ret) {
		*alloc_id = id;
		if (!settled)
			return GDL_ALLOC_PENDING;
		gdl_alloc_counted(c, agent_id, device, id, size, used, quota);
		return 0;
	}
out:
	gdl_alloc_refused(c, ret, agent_id, device, size, used, quota);
	gdl_zfree(r);
	return ret;
}

static struct gdl_arec *gdl_alloc_lookup(struct gdl_core *c, u64 id)
{
	struct hlist_head *h = gdl_alloc_chain(c, id);
	struct gdl_arec *r;

	/* Newest first: a FREE of a recent allocation looks no further. */
	hlist_for_each_entry(r, h, hnode) {
		if (r->id == id)
			return r;
		if (r->id < id)
			break;
	}
	return NULL;
}

/*
 * Unlinks @r and gives its bytes back.  Under alloc_lock.  Its links are
 * left as they were, not poisoned: the record is next freed, or relinked
 * by the charge that reuses it as a spare, and nothing tests them between.
 * Inline: FREE is one of the two calls every allocation makes.
 */
static __always_inline void gdl_alloc_unlink(struct gdl_core *c,
					     struct gdl_arec *r)
{
	struct gdl_agent *a = r->agent;

	__hlist_del(&r->hnode);
	__hlist_del(&r->anode);
	if (r->owner) {
		__hlist_del(&r->onode);
		r->owner->nallocs--;
		r->owner->bytes -= r->size;
	}
	a->used -= r->size;
	a->nallocs--;
	c->dev[r->device].used -= r->size;
	c->live--;
	c->used -= r->size;
	r->used_after = a->used;
	r->quota_then = a->quota;
	/* From here the agent may be removed and freed: r->agent is stale. */
	r->agent = NULL;
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
		gdl_count(c, GDL_ST_FREES, 1);
		gdl_count(c, GDL_ST_BYTES_FREED, r->size);
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
	u64 agent_id = 0, size = 0, used = 0, quota = 0;
	struct gdl_arec *r;
	bool keep = false;
	u32 device = 0;
	int ret = 0;

	gdl_spin_lock(&c->alloc_lock);
	r = gdl_alloc_lookup(c, alloc_id);
	if (!r || r->pending) {
		ret = -ENOENT;
	} else if (only_agent && r->agent_id != only_agent) {
		ret = -EPERM;
	} else {
		gdl_alloc_unlink(c, r);
		/*
		 * Read for the record now: once the lock is dropped, a
		 * record kept as the caller's spare is its other threads'
		 * to take and reuse.
		 */
		agent_id = r->agent_id;
		size = r->size;
		device = r->device;
		used = r->used_after;
		quota = r->quota_then;
		keep = caller && r->owner == caller && !caller->spare;
		if (keep)
			caller->spare = r;
	}
	gdl_spin_unlock(&c->alloc_lock);
	if (ret)
		return ret;
	/* A settled record (FREE never sees a pending one): always counted. */
	gdl_count(c, GDL_ST_FREES, 1);
	gdl_count(c, GDL_ST_BYTES_FREED, size);
	if (gdl_trace_on(c->env, GDL_DEC_FREE))
		gdl_alloc_trace(c, GDL_DEC_FREE, agent_id, device, alloc_id,
				size, 0, used, quota);
	if (!keep)
		gdl_zfree(r);
	return 0;
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
	for (;;) {
		INIT_HLIST_HEAD(&batch);
		i = 0;
		gdl_spin_lock(&c->alloc_lock);
		hlist_for_each_entry_safe(r, tmp, &a->allocs, anode) {
			if (i == GDL_RELEASE_BATCH)
				break;
			/* Mid-ioctl: its caller settles it in a moment. */
			if (r->pending)
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
