/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_identity_resolve.h - who the caller is, at request time: the
 * per-file cache of the last cgroup/uid resolution and its lock-free fast
 * path (the bindings themselves: gdl_identity.h)
 */
#ifndef GDL_IDENTITY_RESOLVE_H
#define GDL_IDENTITY_RESOLVE_H

#include <linux/cgroup.h>
#include <linux/compiler.h>
#include <linux/cred.h>
#include <linux/jump_label.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>

/* Enabled while at least one cgroup or uid binding exists. */
DECLARE_STATIC_KEY_FALSE(gdl_identity_active);

/*
 * Bumped (under the bindings' mutex, with release order) after every change
 * to either table: a bind, a rebind, an unbind, a binding dropped because
 * its agent or cgroup went away, unload.  64 bits: it never wraps, so a
 * generation seen once is never seen again.
 */
extern u64 gdl_identity_gen;

/**
 * struct gdl_ident_cache - one file's last resolution
 * @seq:       even: the fields below are whole; odd: a fill is under way
 * @cgroup_id: key: the caller's cgroup v2 id (0 in a fresh file: no cgroup
 *             has id 0, so a zeroed cache never matches)
 * @gen:       key: gdl_identity_gen read before the tables were
 * @agent:     value: what the tables said for that cgroup and uid (0: none)
 * @uid:       key: the caller's uid
 *
 * Resolution is a function of (cgroup, uid, tables) alone: a cgroup's
 * ancestors never change (cgroup2 renames only within one parent), and
 * cgroup ids are never reused.  So a cached answer whose key matches the
 * caller's cgroup and uid and the current generation is exactly what a walk
 * would find now.  Everything is in the key, nothing about the file, so
 * threads and forked children sharing one file from different cgroups or
 * uids merely miss and refill, never get each other's agent.
 *
 * The fields are a seqcount-like record with a try-only writer: a fill
 * claims @seq odd with a cmpxchg (or skips caching if someone else holds
 * it), writes, and releases it even.  A reader that sees @seq odd or
 * changed across its reads takes the slow path: a torn read is a miss,
 * never a mixed key and value, and nobody ever spins or sleeps.
 */
struct gdl_ident_cache {
	unsigned long seq;
	u64 cgroup_id;
	u64 gen;
	u64 agent;
	u32 uid;
};

u64 __gdl_identity_resolve(struct gdl_ident_cache *c);

/*
 * gdl_identity_resolve - the agent the current task is by its cgroup or
 * uid binding, or 0 for none; @c is the caller's file's cache
 *
 * The fast path reads the task's cgroup id and uid and compares them, and
 * the generation, with @c: a dozen loads, no lock, no atomic.  The cgroup
 * id is read in an RCU-sched section (preemption off: a grace period waits
 * for it like for rcu_read_lock() since the RCU flavours were consolidated,
 * so the task's css_set and cgroup cannot be freed under it) because
 * another task may migrate this one at any moment; that is cheaper than
 * rcu_read_lock(), a call each way on PREEMPT_RCU kernels.  A task's
 * credentials change only by its own hand, so its uid needs no protection.
 */
static __always_inline u64 gdl_identity_resolve(struct gdl_ident_cache *c)
{
	unsigned long seq;
	u64 cgid, agent;
	u32 uid;

	if (!static_branch_unlikely(&gdl_identity_active))
		return 0;
	rcu_read_lock_sched();
	cgid = cgroup_id(rcu_dereference_sched(current->cgroups)->dfl_cgrp);
	rcu_read_unlock_sched();
	uid = __kuid_val(current_uid());

	/* Acquire: the fields are read after @seq. */
	seq = smp_load_acquire(&c->seq);
	agent = READ_ONCE(c->agent);
	if (likely(!(seq & 1) && READ_ONCE(c->cgroup_id) == cgid &&
		   READ_ONCE(c->uid) == uid &&
		   READ_ONCE(c->gen) == READ_ONCE(gdl_identity_gen))) {
		/* ... and before @seq is read again: unchanged, they were whole. */
		smp_rmb();
		if (likely(READ_ONCE(c->seq) == seq))
			return agent;
	}
	return __gdl_identity_resolve(c);
}

#endif /* GDL_IDENTITY_RESOLVE_H */
