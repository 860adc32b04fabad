/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_check.h - one DMA check, inline: gdl_check() (gdl_ranges.c) and the
 * module's two CHECK handlers (GDL_IOC_CHECK and the prototype's) expand
 * it, so an ioctl pays for no second call frame and no second validation
 * (a call with its saved registers was ~45 of a CHECK's instructions).
 */
#ifndef GDL_CHECK_H
#define GDL_CHECK_H

#include "gdl_rtree.h"	/* gdl_rtree_covers(), inline */

/*
 * The answer for one range from what the check reads of its agent: its
 * tree (a version, under gdl_rcu_read_lock()) and its device mask.  The
 * mask is part of the answer: narrowing it ends DMA to the devices left
 * at once, whatever grants remain there (they apply again if the device
 * comes back into the mask).  A batch reads both once for all entries.
 */
static __always_inline bool gdl_check_in(const struct gdl_core *c,
					  const struct gdl_rnode *root,
					  u64 mask, u32 dev, u64 addr,
					  u64 length, u32 mode,
					  struct gdl_rival *hit)
{
	if (dev >= c->ndev || !((mask >> dev) & 1))
		return false;
	return gdl_rtree_covers(root, dev, addr, addr + length, mode, hit);
}

/*
 * Whether interval @v (from the same snapshot: its device passed the
 * device and mask test) holds [addr, addr + length) with @mode, for a
 * valid request (gdl_request_valid(): length nonzero, no overflow).  A
 * batch's entries often fall in the interval the one before fell in (the
 * pages of one buffer): then the entry costs these compares, not a walk.
 */
static __always_inline bool gdl_rival_holds(const struct gdl_rival *v,
					     u32 dev, u64 addr, u64 length,
					     u32 mode)
{
	return addr >= v->start && addr + length <= v->end &&
	       dev == v->dev && !(mode & v->lacks);
}

/* The same for agent @a (NULL: none, denied); under gdl_rcu_read_lock(). */
static __always_inline bool gdl_check_one(const struct gdl_core *c,
					   const struct gdl_agent *a, u32 dev,
					   u64 addr, u64 length, u32 mode)
{
	if (!a)
		return false;
	return gdl_check_in(c, gdl_rcu_dereference(a->ranges.root),
			    READ_ONCE(a->device_mask), dev, addr, length, mode,
			    NULL);
}

/*
 * The decision record of a grant, revoke or check whose kind is traced.
 * Inline, also in the ioctl's check (out of its hot path, behind the
 * event's static key): the record is built in place, with no call.
 */
static __always_inline void gdl_range_trace(struct gdl_core *c, u32 kind,
					    u64 agent_id, u32 dev, u64 addr,
					    u64 length, u32 mode, int res)
{
	struct gdl_decision d = {
		.kind = kind,
		.device = dev,
		.agent_id = agent_id,
		.addr = addr,
		.length = length,
		.mode = mode,
		.result = res,
	};

	gdl_trace(c->env, &d);
}

/**
 * gdl_check_valid - gdl_check() on a request already known valid
 * (gdl_request_valid()): decide, count, trace
 */
static __always_inline int gdl_check_valid(struct gdl_core *c, u64 agent_id,
					   u32 dev, u64 addr, u64 length,
					   u32 mode)
{
	u32 kind;
	bool ok;

	gdl_rcu_read_lock();
	ok = gdl_check_one(c, gdl_agent_find(c, agent_id), dev, addr, length,
			   mode);
	gdl_rcu_read_unlock();
	gdl_count(c, GDL_ST_CHECKS, 1);
	if (!ok)
		gdl_count(c, GDL_ST_CHECKS_DENIED, 1);
	kind = ok ? GDL_DEC_CHECK : GDL_DEC_DENY;
	/* Sampled here: a check left out costs no call. */
	if (unlikely(gdl_trace_on(c->env, kind)) && gdl_trace_keep(c->env, kind))
		gdl_range_trace(c, kind, agent_id, dev, addr, length, mode, 0);
	return ok ? GDL_CHECK_ALLOWED : GDL_CHECK_DENIED;
}

#endif /* GDL_CHECK_H */
