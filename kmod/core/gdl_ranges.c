// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_ranges.c - grants, revokes and checks: validation, locking,
 * accounting and decision records around the B+-tree of gdl_rtree.c.
 */
#include "gdl_check.h"	/* the check itself, inline */

/*
 * A grant to an unknown agent, when the core creates agents: the agent is
 * built privately, granted, and published only if that succeeded, so a
 * failed grant leaves nothing behind and nobody sees a half-made agent.
 * Called and returns with agents_lock held.
 */
static int gdl_range_create(struct gdl_core *c, u64 agent_id, u32 dev,
			    u64 start, u64 length, u32 mode)
{
	struct gdl_agent *a;
	int ret;

	if (c->nagents >= c->max_agents)
		return -ENOSPC;
	a = gdl_agent_new(agent_id, c->default_quota, gdl_all_devices(c));
	if (!a)
		return -ENOMEM;
	gdl_mutex_lock(&a->lock);
	ret = gdl_rtree_apply(&a->ranges, dev, start, start + length, mode,
			      true);
	gdl_mutex_unlock(&a->lock);
	if (!ret)
		ret = gdl_agent_link_locked(c, a);
	if (ret) {
		/* Never published: no reader can hold it or its tree. */
		gdl_agent_free(a);
	}
	return ret;
}

/* What a range operation does: a grant may create its agent. */
enum gdl_range_kind {
	GDL_RANGE_REVOKE,
	GDL_RANGE_GRANT,	/* creates an unknown agent if default_quota */
	GDL_RANGE_GRANT_CREATE,	/* always creates an unknown agent */
};

/* Finds the agent and applies the change under its lock. */
static int gdl_range_change(struct gdl_core *c, u64 agent_id, u32 dev,
			    u64 start, u64 length, u32 mode,
			    enum gdl_range_kind kind)
{
	bool grant = kind != GDL_RANGE_REVOKE;
	bool create = kind == GDL_RANGE_GRANT_CREATE ||
		      (kind == GDL_RANGE_GRANT && c->default_quota);
	struct gdl_agent *a;
	int ret;

	gdl_mutex_lock(&c->agents_lock);
	/* agents_lock keeps @a alive once found; RCU only for the walk. */
	gdl_rcu_read_lock();
	a = gdl_agent_find(c, agent_id);
	gdl_rcu_read_unlock();
	if (!a) {
		ret = create && agent_id ?
		      gdl_range_create(c, agent_id, dev, start, length, mode) :
		      -ENOENT;
		gdl_mutex_unlock(&c->agents_lock);
		return ret;
	}
	/* The mask only changes under agents_lock, which we hold. */
	if (grant && !((a->device_mask >> dev) & 1)) {
		gdl_mutex_unlock(&c->agents_lock);
		return -EPERM;
	}
	/* Taken before agents_lock is dropped: removal waits for us. */
	gdl_mutex_lock(&a->lock);
	gdl_mutex_unlock(&c->agents_lock);
	ret = gdl_rtree_apply(&a->ranges, dev, start, start + length, mode,
			      grant);
	gdl_mutex_unlock(&a->lock);
	return ret;
}

static int gdl_range_op(struct gdl_core *c, u64 agent_id, u32 dev,
			u64 start, u64 length, u32 mode,
			enum gdl_range_kind op)
{
	bool grant = op != GDL_RANGE_REVOKE;
	u32 kind = grant ? GDL_DEC_GRANT : GDL_DEC_REVOKE;
	int ret;

	if (!gdl_range_ok(start, length) || !gdl_mode_ok(mode))
		ret = -EINVAL;
	else if (dev >= c->ndev)
		ret = -ENODEV;
	else
		ret = gdl_range_change(c, agent_id, dev, start, length, mode,
				       op);
	if (!ret)
		gdl_count(c, grant ? GDL_ST_GRANTS : GDL_ST_REVOKES, 1);
	if (gdl_trace_on(c->env, kind))
		gdl_range_trace(c, kind, agent_id, dev, start, length, mode,
				ret);
	return ret;
}

int gdl_grant(struct gdl_core *c, u64 agent_id, u32 device, u64 start,
	      u64 length, u32 mode)
{
	return gdl_range_op(c, agent_id, device, start, length, mode,
			    GDL_RANGE_GRANT);
}

int gdl_grant_create(struct gdl_core *c, u64 agent_id, u32 device, u64 start,
		     u64 length, u32 mode)
{
	return gdl_range_op(c, agent_id, device, start, length, mode,
			    GDL_RANGE_GRANT_CREATE);
}

int gdl_revoke(struct gdl_core *c, u64 agent_id, u32 device, u64 start,
	       u64 length, u32 mode)
{
	return gdl_range_op(c, agent_id, device, start, length, mode,
			    GDL_RANGE_REVOKE);
}

int gdl_range_apply(struct gdl_core *c, bool grant, u64 agent_id, u32 device,
		    u64 start, u64 length, u32 mode)
{
	return gdl_range_op(c, agent_id, device, start, length, mode,
			    grant ? GDL_RANGE_GRANT : GDL_RANGE_REVOKE);
}

int gdl_check(struct gdl_core *c, u64 agent_id, u32 device, u64 addr,
	      u64 length, u32 mode)
{
	if (!gdl_request_valid(addr, length, mode))
		return -EINVAL;
	return gdl_check_valid(c, agent_id, device, addr, length, mode);
}

/*
 * Answers the entries at the head of @e that interval @v holds (allowed);
 * returns how many.  Out of line: alone, the loop keeps all it reads in
 * registers (inline in the walk's loop it kept half of them on the stack).
 */
static noinline u32 gdl_held_run(const struct gdl_rival *v,
				 struct gdl_check_entry *e, u32 n)
{
	const struct gdl_rival h = *v;
	struct gdl_check_entry *x = e, *end = e + n;

	for (; x < end && gdl_rival_holds(&h, x->device, x->addr, x->length,
					  x->mode); x++)
		x->result = GDL_CHECK_ALLOWED;
	return (u32)(x - e);
}

/* Entries in a row that start no held run, after which a batch stops looking. */
#define GDL_HELD_TRIES	8

void gdl_check_answer(struct gdl_core *c, u64 agent_id,
		      struct gdl_check_entry *e, u32 n, u32 *allowed)
{
	const struct gdl_rnode *root = NULL;
	struct gdl_rival last = { .end = 0 };	/* holds nothing */
	struct gdl_agent *a;
	u32 i, yes = 0, tries = GDL_HELD_TRIES;
	u64 mask = 0;

	/*
	 * One snapshot of the agent for the batch (its tree version and its
	 * mask, read once; no agent: every entry denied), each entry its
	 * own walk unless it falls in the interval that answered the entry
	 * before it (of the same snapshot): a change published meanwhile
	 * reaches the next batch (or the next section of a large one), not
	 * the rest of this one.
	 */
	gdl_rcu_read_lock();
	a = gdl_agent_find(c, agent_id);
	if (a) {
		root = gdl_rcu_dereference(a->ranges.root);
		mask = READ_ONCE(a->device_mask);
	}
	for (i = 0; i < n && tries; i++) {
		bool ok = gdl_check_in(c, root, mask, e[i].device, e[i].addr,
				       e[i].length, e[i].mode, &last);
		u32 held = 0;

		e[i].result = ok ? GDL_CHECK_ALLOWED : GDL_CHECK_DENIED;
		yes += ok;
		/* The next entry starts in that interval: it may hold a run. */
		if (ok && i + 1 < n && e[i + 1].addr >= last.start &&
		    e[i + 1].addr < last.end)
			held = gdl_held_run(&last, e + i + 1, n - i - 1);
		yes += held;
		i += held;
		tries = held ? GDL_HELD_TRIES : tries - 1;
	}
	/*
	 * GDL_HELD_TRIES entries in a row that started no run: a batch with
	 * no locality, whose rest is walked without looking (remembering
	 * each interval and comparing the next entry with it cost such a
	 * batch of 100 000 ranges 1.5 ns an entry, natively).
	 */
	for (; i < n; i++) {
		bool ok = gdl_check_in(c, root, mask, e[i].device, e[i].addr,
				       e[i].length, e[i].mode, NULL);

		e[i].result = ok ? GDL_CHECK_ALLOWED : GDL_CHECK_DENIED;
		yes += ok;
	}
	gdl_rcu_read_unlock();
	*allowed = yes;
}

int gdl_check_decide(struct gdl_core *c, u64 agent_id,
		     struct gdl_check_entry *e, u32 n, u32 *allowed)
{
	u32 i;

	if (!n || n > GDL_CHECK_BATCH_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!gdl_range_ok(e[i].addr, e[i].length) ||
		    !gdl_mode_ok(e[i].mode) || e[i].flags)
			return -EINVAL;
	gdl_check_answer(c, agent_id, e, n, allowed);
	return 0;
}

void gdl_check_count(struct gdl_core *c, u64 n, u64 allowed)
{
	gdl_count(c, GDL_ST_CHECKS, n);
	gdl_count(c, GDL_ST_CHECKS_DENIED, n - allowed);
}

bool gdl_check_reported(struct gdl_core *c)
{
	return gdl_trace_on(c->env, GDL_DEC_CHECK) ||
	       gdl_trace_on(c->env, GDL_DEC_DENY);
}

void gdl_check_report(struct gdl_core *c, u64 agent_id,
		      const struct gdl_check_entry *e, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		u32 kind = e[i].result ? GDL_DEC_CHECK : GDL_DEC_DENY;

		if (gdl_trace_on(c->env, kind) && gdl_trace_keep(c->env, kind))
			gdl_range_trace(c, kind, agent_id, e[i].device,
					e[i].addr, e[i].length, e[i].mode, 0);
	}
}

int gdl_check_many(struct gdl_core *c, u64 agent_id,
		   struct gdl_check_entry *e, u32 n, u32 *allowed)
{
	int ret = gdl_check_decide(c, agent_id, e, n, allowed);

	if (ret)
		return ret;
	gdl_check_count(c, n, *allowed);
	if (unlikely(gdl_check_reported(c)))
		gdl_check_report(c, agent_id, e, n);
	return 0;
}
