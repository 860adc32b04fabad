/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_alloc.h - one allocation and one free, inline: gdl_alloc_reserve()
 * and gdl_free_by() (gdl_allocs.c) and the module's ALLOC and FREE
 * handlers expand them, as gdl_check.h does for CHECK, so every CUDA
 * allocation's pair of ioctls pays for no core call frames, no second
 * validation and no call through @publish (with the changes that came
 * with it, the pair went from 1 647 to about 1 520 guest instructions).
 * What is rare stays out of line: an agent not found alive (its first
 * allocation), a spare another thread took first, a refusal, a trace.
 *
 * Locking as in gdl_allocs.c: one spinlock (alloc_lock) covers every byte
 * count, the allocation hash and the owner lists.
 */
#ifndef GDL_ALLOC_H
#define GDL_ALLOC_H

#include "gdl_internal.h"

static __always_inline struct hlist_head *gdl_alloc_chain(struct gdl_core *c,
							  u64 id)
{
	return &c->alloc_hash[id & ((1u << GDL_ALLOC_HASH_BITS) - 1)];
}

static __always_inline struct gdl_arec *gdl_alloc_lookup(struct gdl_core *c,
							 u64 id)
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
 * Decides and, if allowed, links @r.  Under alloc_lock.  Reports the
 * agent's usage and quota for the decision record in @used and @quota.
 * Sets every field of @r but these: @size, @device and @flags (set by the
 * caller before), @pending (set by the caller before it drops the lock:
 * until then nothing else sees @r), @used_after and @quota_then (set when
 * it leaves).  A reused record is not cleared first.
 */
static __always_inline int gdl_alloc_charge(struct gdl_core *c,
					    struct gdl_agent *a,
					    struct gdl_arec *r,
					    struct gdl_owner *owner,
					    u64 *used, u64 *quota)
{
	struct gdl_dev *dev = &c->dev[r->device];
	const u64 size = r->size;	/* read once: the stores below may alias */
	int ret = 0;

	if (!((a->device_mask >> r->device) & 1))
		ret = -EPERM;
	else if (size > a->quota || a->used > a->quota - size)
		ret = -EDQUOT;
	else if (c->max_agent_allocs && a->nallocs >= c->max_agent_allocs)
		ret = -EDQUOT;	/* a quota on kernel objects */
	else if (size > dev->desc.capacity - dev->used)
		ret = -ENOSPC;
	if (!ret) {
		r->id = ++c->next_alloc_id;
		r->agent = a;
		r->agent_id = a->id;
		r->owner = owner;
		/* The highest id yet: at the head, each chain stays sorted. */
		hlist_add_head(&r->hnode, gdl_alloc_chain(c, r->id));
		hlist_add_head(&r->anode, &a->allocs);
		if (owner) {
			hlist_add_head(&r->onode, &owner->allocs);
			owner->nallocs++;
			owner->bytes += size;
		} else {
			INIT_HLIST_NODE(&r->onode);
		}
		a->used += size;
		a->nallocs++;
		dev->used += size;
		c->live++;
		c->used += size;
	}
	*used = a->used;
	*quota = a->quota;
	return ret;
}

/*
 * Unlinks @r and gives its bytes back.  Under alloc_lock.  Its links are
 * left as they were, not poisoned: the record is next freed, or relinked
 * by the charge that reuses it as a spare, and nothing tests them between.
 */
static __always_inline void gdl_alloc_unlink(struct gdl_core *c,
					     struct gdl_arec *r)
{
	struct gdl_agent *a = r->agent;
	const u64 size = r->size;	/* read once: the stores below may alias */

	__hlist_del(&r->hnode);
	__hlist_del(&r->anode);
	if (r->owner) {
		__hlist_del(&r->onode);
		r->owner->nallocs--;
		r->owner->bytes -= size;
	}
	a->used -= size;
	a->nallocs--;
	c->dev[r->device].used -= size;
	c->live--;
	c->used -= size;
	r->used_after = a->used;
	r->quota_then = a->quota;
	/* From here the agent may be removed and freed: r->agent is stale. */
	r->agent = NULL;
}

/* Out of line (gdl_allocs.c): the decision record of a traced kind. */
void gdl_alloc_trace(struct gdl_core *c, u32 kind, u64 agent_id, u32 dev,
		     u64 alloc_id, u64 size, int res, u64 used, u64 quota);
/* Out of line: a refusal counted and reported, @r (may be NULL) freed. */
int gdl_alloc_refuse(struct gdl_core *c, int ret, u64 agent_id, u32 device,
		     u64 size, u64 used, u64 quota, struct gdl_arec *r);

/* A settled allocation: counted and reported.  Outside alloc_lock. */
static __always_inline void gdl_alloc_counted(struct gdl_core *c,
					      u64 agent_id, u32 device,
					      u64 alloc_id, u64 size, u64 used,
					      u64 quota)
{
	gdl_count2(c, GDL_ST_ALLOCS, 1, GDL_ST_BYTES_ALLOCATED, size);
	if (unlikely(gdl_trace_on(c->env, GDL_DEC_ALLOC)))
		gdl_alloc_trace(c, GDL_DEC_ALLOC, agent_id, device, alloc_id,
				size, 0, used, quota);
}

/*
 * One try: takes alloc_lock as an RCU reader (gdl_spin_lock_rcu()) and
 * finds @agent_id alive under it.  With @spare_of set, also takes that
 * owner's spare record into *@r when *@r is NULL (*@r is never NULL
 * without @spare_of).  0: both found, the lock held; -EAGAIN: the agent is
 * alive but the spare went to another thread; -ENOENT: no agent alive.
 * Either error drops the lock.
 */
static __always_inline int gdl_alloc_try_lock_agent(struct gdl_core *c,
						    u64 agent_id,
						    struct gdl_owner *spare_of,
						    struct gdl_arec **r,
						    struct gdl_agent **agent)
{
	struct gdl_agent *a;
	int ret = -ENOENT;

	gdl_spin_lock_rcu(&c->alloc_lock);
	a = gdl_agent_find(c, agent_id);
	if (likely(a && !a->dead)) {
		if (!*r) {
			*r = spare_of->spare;
			spare_of->spare = NULL;
		}
		if (likely(*r)) {
			*agent = a;
			return 0;	/* held */
		}
		ret = -EAGAIN;
	}
	gdl_spin_unlock_rcu(&c->alloc_lock);
	return ret;
}

/*
 * gdl_alloc_try_lock_agent() until it holds: allocates a record when the
 * spare went, creates the agent if the core allows.  Out of line
 * (gdl_allocs.c): the general case, which loops.
 */
int gdl_alloc_lock_agent(struct gdl_core *c, struct gdl_owner *owner,
			 u64 agent_id, struct gdl_owner *spare_of,
			 struct gdl_arec **r, struct gdl_agent **agent);

/* The same, its first try inline: the agent alive and a record at hand. */
static __always_inline int gdl_alloc_lock_agent_fast(struct gdl_core *c,
						     struct gdl_owner *owner,
						     u64 agent_id,
						     struct gdl_owner *spare_of,
						     struct gdl_arec **r,
						     struct gdl_agent **agent)
{
	if (likely(!gdl_alloc_try_lock_agent(c, agent_id, spare_of, r, agent)))
		return 0;
	return gdl_alloc_lock_agent(c, owner, agent_id, spare_of, r, agent);
}

/**
 * gdl_alloc_reserve_valid - gdl_alloc_reserve() on a request already known
 * valid: @size nonzero, no unknown @flags, @owner set unless persistent
 */
static __always_inline int gdl_alloc_reserve_valid(struct gdl_core *c,
						   struct gdl_owner *owner,
						   u64 agent_id, u64 size,
						   u32 device, u32 flags,
						   u64 *alloc_id,
						   gdl_publish_fn *publish,
						   void *to)
{
	struct gdl_owner *charged = flags & GDL_ALLOC_PERSISTENT ? NULL : owner;
	struct gdl_arec *r = NULL;
	struct gdl_agent *a;
	u64 used = 0, quota = 0, id;
	bool settled;
	int ret;

	if (unlikely(device >= c->ndev))
		return gdl_alloc_refuse(c, -ENODEV, agent_id, device, size, 0,
					0, NULL);
	/*
	 * A record: the owner's spare if it has one (gdl_free_by), taken
	 * under the lock below with no lock of its own, else a fresh one
	 * charged to the memory cgroup of whoever asks (the workload).
	 */
	if (!charged || !READ_ONCE(charged->spare)) {
		r = gdl_zalloc_account(sizeof(*r));
		if (unlikely(!r))
			return gdl_alloc_refuse(c, -ENOMEM, agent_id, device,
						size, 0, 0, NULL);
	}
	ret = gdl_alloc_lock_agent_fast(c, owner, agent_id, charged, &r, &a);
	if (unlikely(ret))
		return gdl_alloc_refuse(c, ret, agent_id, device, size, 0, 0,
					r);
	r->size = size;
	r->device = device;
	r->flags = flags;
	ret = gdl_alloc_charge(c, a, r, charged, &used, &quota);
	if (unlikely(ret)) {
		if (charged && !charged->spare) {
			charged->spare = r;	/* the next try allocates none */
			r = NULL;
		}
		gdl_spin_unlock_rcu(&c->alloc_lock);
		return gdl_alloc_refuse(c, ret, agent_id, device, size, used,
					quota, r);
	}
	id = r->id;
	/* Handed out now, the allocation needs no second lock. */
	settled = publish && publish(to, id);
	r->pending = !settled;
	/* From here a settled record may be freed by another thread. */
	gdl_spin_unlock_rcu(&c->alloc_lock);
	*alloc_id = id;
	if (!settled)
		return GDL_ALLOC_PENDING;
	gdl_alloc_counted(c, agent_id, device, id, size, used, quota);
	return 0;
}

/* gdl_free_by(), inline; the core's own is this one expanded once. */
static __always_inline int __gdl_free_by(struct gdl_core *c,
					 struct gdl_owner *caller,
					 u64 alloc_id, u64 only_agent)
{
	u64 agent_id, size, used, quota;
	struct gdl_arec *r;
	bool keep;
	u32 device;

	gdl_spin_lock(&c->alloc_lock);
	r = gdl_alloc_lookup(c, alloc_id);
	if (unlikely(!r || r->pending)) {
		gdl_spin_unlock(&c->alloc_lock);
		return -ENOENT;
	}
	if (only_agent && r->agent_id != only_agent) {
		gdl_spin_unlock(&c->alloc_lock);
		return -EPERM;
	}
	/*
	 * Read for the record now: once the lock is dropped, a record kept
	 * as the caller's spare is its other threads' to take and reuse.
	 * (@size before the unlink: the one load serves both.)
	 */
	size = r->size;
	gdl_alloc_unlink(c, r);
	agent_id = r->agent_id;
	device = r->device;
	used = r->used_after;
	quota = r->quota_then;
	keep = caller && r->owner == caller && !caller->spare;
	if (keep)
		caller->spare = r;
	gdl_spin_unlock(&c->alloc_lock);
	/* A settled record (FREE never sees a pending one): always counted. */
	gdl_count2(c, GDL_ST_FREES, 1, GDL_ST_BYTES_FREED, size);
	if (unlikely(gdl_trace_on(c->env, GDL_DEC_FREE)))
		gdl_alloc_trace(c, GDL_DEC_FREE, agent_id, device, alloc_id,
				size, 0, used, quota);
	if (!keep)
		gdl_zfree(r);
	return 0;
}

#endif /* GDL_ALLOC_H */
