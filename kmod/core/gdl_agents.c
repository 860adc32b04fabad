// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_agents.c - the agent table
 *
 * A fixed array of RCU chains, sized from max_agents.  Chains are sorted
 * by id so that a listing cursor (bucket, last id) visits every agent once
 * however the walk interleaves with changes.  Readers only follow pointers
 * under RCU; every change holds agents_lock; a removed agent is unlinked
 * first and freed, grants and all, after a grace period.
 */
#include "gdl_internal.h"

/**
 * gdl_agent_next - the agent after @id in (bucket, id) order
 * @c:  core
 * @id: 0 for the first agent
 *
 * Context: under gdl_rcu_read_lock().
 */
struct gdl_agent *gdl_agent_next(struct gdl_core *c, u64 id)
{
	u32 b = id ? gdl_agent_bucket(c, id) : 0;
	u32 nb = 1u << c->agent_bits;
	struct gdl_agent *a;

	for (; b < nb; b++, id = 0) {
		for (a = gdl_rcu_dereference(c->agent_hash[b]); a;
		     a = gdl_rcu_dereference(a->next))
			if (a->id > id)
				return a;
	}
	return NULL;
}

/**
 * gdl_agent_new - a new agent, not yet visible to anyone
 * @id:    nonzero
 * @quota: bytes
 * @mask:  devices
 *
 * Return: the agent, or NULL (no memory).  Publish it with
 * gdl_agent_link_locked() or free it with gdl_agent_free().
 */
struct gdl_agent *gdl_agent_new(u64 id, u64 quota, u64 mask)
{
	struct gdl_agent *a = gdl_zalloc(sizeof(*a));

	if (!a)
		return NULL;
	a->id = id;
	a->quota = quota;
	a->device_mask = mask;
	INIT_HLIST_HEAD(&a->allocs);
	gdl_mutex_init(&a->lock);
	gdl_rtree_init(&a->ranges, &a->lock);
	return a;
}

/* True when @id is among the agents removed last (agents_lock held). */
bool gdl_agent_removed_lately(const struct gdl_core *c, u64 id)
{
	u32 i;

	for (i = 0; i < GDL_REMEMBER_REMOVED; i++)
		if (c->removed[i] == id)
			return true;
	return false;
}

/* Created again by an operator (agents_lock held): forget its removal. */
static void gdl_agent_unremember(struct gdl_core *c, u64 id)
{
	u32 i;

	for (i = 0; i < GDL_REMEMBER_REMOVED; i++)
		if (c->removed[i] == id)
			c->removed[i] = 0;
}

/**
 * gdl_agent_link_locked - publish a new agent
 * @c: core, agents_lock held, @a->id not present
 * @a: from gdl_agent_new()
 *
 * Return: 0, or -ENOSPC at max_agents (@a is then still the caller's).
 */
int gdl_agent_link_locked(struct gdl_core *c, struct gdl_agent *a)
{
	struct gdl_agent **pp;

	if (c->nagents >= c->max_agents)
		return -ENOSPC;
	pp = &c->agent_hash[gdl_agent_bucket(c, a->id)];
	while (*pp && (*pp)->id < a->id)
		pp = &(*pp)->next;
	a->next = *pp;
	gdl_rcu_assign_pointer(*pp, a);
	WRITE_ONCE(c->nagents, c->nagents + 1);
	gdl_agent_unremember(c, a->id);
	return 0;
}

/**
 * gdl_agent_create_locked - add a new agent
 * @c:     core, agents_lock held, @id not present
 * @id:    nonzero
 * @quota: bytes
 * @mask:  devices
 *
 * Return: 0, -ENOSPC at max_agents, -ENOMEM.
 */
int gdl_agent_create_locked(struct gdl_core *c, u64 id, u64 quota, u64 mask)
{
	struct gdl_agent *a;
	int ret;

	if (c->nagents >= c->max_agents)
		return -ENOSPC;
	a = gdl_agent_new(id, quota, mask);
	if (!a)
		return -ENOMEM;
	ret = gdl_agent_link_locked(c, a);
	if (ret)
		gdl_agent_free(a);
	return ret;
}

/* Create, or update the quota and (unless @keep_mask) the mask, in one step. */
static int gdl_agent_update(struct gdl_core *c, u64 agent_id, u64 quota,
			    u64 device_mask, bool keep_mask)
{
	struct gdl_agent *a;
	int ret = 0;

	if (!agent_id)
		return -EINVAL;
	gdl_mutex_lock(&c->agents_lock);
	gdl_rcu_read_lock();
	a = gdl_agent_find(c, agent_id);
	gdl_rcu_read_unlock();
	if (a) {
		/* Allocations read both under alloc_lock: never half-updated. */
		gdl_spin_lock(&c->alloc_lock);
		a->quota = quota;
		if (!keep_mask)
			WRITE_ONCE(a->device_mask, device_mask);
		gdl_spin_unlock(&c->alloc_lock);
	} else {
		ret = gdl_agent_create_locked(c, agent_id, quota, device_mask);
	}
	gdl_mutex_unlock(&c->agents_lock);
	return ret;
}

int gdl_agent_set(struct gdl_core *c, u64 agent_id, u64 quota,
		  u64 device_mask)
{
	return gdl_agent_update(c, agent_id, quota, device_mask, false);
}

int gdl_agent_set_quota(struct gdl_core *c, u64 agent_id, u64 quota,
			u64 new_mask)
{
	return gdl_agent_update(c, agent_id, quota, new_mask, true);
}

int gdl_agent_get(struct gdl_core *c, u64 agent_id,
		  struct gdl_agent_info *out)
{
	struct gdl_agent *a;
	int ret = -ENOENT;

	/* The counts are alloc_lock's: look the agent up under it. */
	gdl_spin_lock_rcu(&c->alloc_lock);
	a = gdl_agent_find(c, agent_id);
	if (a) {
		out->agent_id = agent_id;
		out->quota = a->quota;
		out->used = a->used;
		out->device_mask = a->device_mask;
		out->allocations = a->nallocs;
		out->grants = READ_ONCE(a->ranges.count);
		out->flags = 0;
		out->pad = 0;
		ret = 0;
	}
	gdl_spin_unlock_rcu(&c->alloc_lock);
	return ret;
}

void gdl_agent_free(struct gdl_agent *a)
{
	gdl_rtree_free_now(a->ranges.root);
	gdl_mutex_destroy(&a->lock);
	gdl_zfree(a);
}

static void gdl_agent_free_rcu(struct gdl_rcu_head *h)
{
	gdl_agent_free(container_of(h, struct gdl_agent, rcu));
}

int gdl_agent_remove(struct gdl_core *c, u64 agent_id)
{
	struct gdl_agent *a, **pp;
	int ret = 0;

	gdl_mutex_lock(&c->agents_lock);
	pp = &c->agent_hash[gdl_agent_bucket(c, agent_id)];
	while (*pp && (*pp)->id < agent_id)
		pp = &(*pp)->next;
	a = *pp;
	if (!a || a->id != agent_id) {
		ret = -ENOENT;
		goto out;
	}
	/* Waits for a grant in progress: no transaction outlives the agent. */
	gdl_mutex_lock(&a->lock);
	gdl_spin_lock(&c->alloc_lock);
	if (a->nallocs) {
		ret = -EBUSY;
	} else {
		u32 b;
		struct gdl_owner *o;

		/* An allocation that found it under RCU sees this and retries. */
		a->dead = true;
		/*
		 * A file still bound to it must not bring it back, with
		 * default_quota and every device, by allocating: that would
		 * undo the operator's removal with more rights than it had.
		 */
		for (b = 0; b < (1u << GDL_OWNER_HASH_BITS); b++)
			list_for_each_entry(o, &c->owner_hash[b], node)
				if (READ_ONCE(o->bound_agent) == agent_id)
					WRITE_ONCE(o->removed_agent, agent_id);
	}
	gdl_spin_unlock(&c->alloc_lock);
	gdl_mutex_unlock(&a->lock);
	if (ret)
		goto out;
	gdl_rcu_assign_pointer(*pp, a->next);
	WRITE_ONCE(c->nagents, c->nagents - 1);
	c->removed[c->nremoved++ % GDL_REMEMBER_REMOVED] = agent_id;
	gdl_call_rcu(&a->rcu, gdl_agent_free_rcu);
out:
	gdl_mutex_unlock(&c->agents_lock);
	return ret;
}

/* At destroy: no reader is left, free at once. */
void gdl_agents_destroy(struct gdl_core *c)
{
	u32 b, nb = 1u << c->agent_bits;

	for (b = 0; b < nb; b++) {
		struct gdl_agent *a = c->agent_hash[b], *next;

		for (; a; a = next) {
			next = a->next;
			gdl_agent_free(a);
		}
		c->agent_hash[b] = NULL;
	}
	c->nagents = 0;
}
