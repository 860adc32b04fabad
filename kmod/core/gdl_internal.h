/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_internal.h - the core's private data structures, shared by its files
 *
 * Lock order: core->agents_lock (mutex) -> agent->lock (mutex) ->
 * core->alloc_lock (spinlock).  Readers of agents and ranges take only
 * gdl_rcu_read_lock().
 */
#ifndef GDL_INTERNAL_H
#define GDL_INTERNAL_H

#include "gdl_core.h"

#define GDL_ALLOC_HASH_BITS	13	/* 8192 chains: ~12 per 100 000 */
#define GDL_OWNER_HASH_BITS	10	/* 1024 chains: ~100 per 100 000 */
#define GDL_AGENT_HASH_MIN	16
#define GDL_AGENT_HASH_MAX	(1u << 16)

/* Per-CPU counter slots, one per gdl_stats counter. */
enum gdl_stat {
	GDL_ST_ALLOCS,
	GDL_ST_ALLOC_FAILURES,
	GDL_ST_FREES,
	GDL_ST_BYTES_ALLOCATED,
	GDL_ST_BYTES_FREED,
	GDL_ST_CHECKS,
	GDL_ST_CHECKS_DENIED,
	GDL_ST_QUOTA_VIOLATIONS,
	GDL_ST_GRANTS,
	GDL_ST_REVOKES,
	GDL_ST_NR,
};

/*
 * The permission index is a persistent B+-tree.  A leaf holds a sorted run
 * of up to GDL_RCHUNK intervals (any devices), laid out for a lookup's
 * cache misses: line 0 has the header and the first key of each group of
 * GDL_RGROUP intervals, each group (starts, ends, devices, modes) fills one
 * line.  An inner node holds up to GDL_RFANOUT children and the first key
 * of each (devices in a byte: GDL_MAX_DEVICES <= 256), each key beside its
 * child pointer (struct gdl_rentry), in runs of GDL_RPICK_W that fill a
 * line each; line 0 holds the header and a copy of each run's first key.
 * Every node but the root and the last of each level is at least half
 * full, all leaves are at the same depth: 100 000 random grants make 9 438
 * leaves of 10.6 intervals under 3 inner levels of ~17 children (and a
 * root); 100 000 ascending ones, full leaves under 2 full inner levels
 * (and a root).  Nodes fit a 512-byte kmalloc slab object, so their lines
 * are lines.  Unused keys hold GDL_RKEY_NONE (all ones): above every
 * address but the last, which only a listing's cursor or a writer can ask
 * for, and the lookup takes as the one below (key_below_none()).
 */
#define GDL_RGROUP	3
#define GDL_RGROUPS	5
#define GDL_RCHUNK	(GDL_RGROUP * GDL_RGROUPS)
#define GDL_RFANOUT	24
#define GDL_RPICK_W	4	/* an inner node's keys in a run (a line): in_pick() */
#define GDL_RPICK_N	(GDL_RFANOUT / GDL_RPICK_W)	/* runs in a node */
#define GDL_RMAXH	10	/* levels, at most: over 12^8 leaves */

/* One cache line of a leaf: GDL_RGROUP intervals. */
struct gdl_rgroup {
	u64 start[GDL_RGROUP];
	u64 end[GDL_RGROUP];
	u32 dev[GDL_RGROUP];
	u8 mode[GDL_RGROUP];
	u8 pad[64 - GDL_RGROUP * 21];
};

/*
 * One child of an inner node and its key: side by side, so the line the
 * search reads the key from holds the pointer it then follows (one miss
 * per level for the run, not two).
 */
struct gdl_rentry {
	u64 key;
	struct gdl_rnode *child;
};

/*
 * Header shared by both kinds of node: @level (0: leaf), @n (intervals or
 * children), @flags (GDL_RN_OWN: created by the open transaction, private;
 * GDL_RN_DEAD: and already dropped by it), @onedev (the device every key
 * is of, or GDL_RDEV_MIXED: the keys are of more than one device, and
 * lookups compare devices too; one compare tells a lookup both).
 */
#define GDL_RNODE_HEAD	u8 level; u8 n; u8 flags; u8 onedev
#define GDL_RN_OWN	1
#define GDL_RN_DEAD	2
#define GDL_RDEV_MIXED	0xff	/* not a device: GDL_MAX_DEVICES is less */

/**
 * struct gdl_rnode - a node of an immutable B+-tree of intervals
 * @l.sdev, @l.sep: key (device, start) of the first interval of each group
 * @l.g:      the intervals, ascending: interval i is g[i / 3] slot i % 3
 * @i.kdev, @i.e[].key: key of the first interval under each child
 * @i.pkey:   copies of the keys that start runs 1.. (e[GDL_RPICK_W].key,
 *            ...), in line 0 with the header: a one-device lookup reads
 *            line 0, then one run's line (in_pick())
 * @i.e[].child: the children (RCU: published nodes never change)
 * @link:     the open transaction's "created" list, or its "garbage" list
 * @rcu:      frees a garbage list after a grace period
 *
 * Touching intervals of one device and equal mode never exist: they
 * coalesce.
 */
struct gdl_rnode {
	union {
		struct {
			GDL_RNODE_HEAD;
			u32 sdev[GDL_RGROUPS];
			u64 sep[GDL_RGROUPS];
			struct gdl_rgroup g[GDL_RGROUPS];
		} l;
		struct {
			GDL_RNODE_HEAD;
			u64 pkey[GDL_RPICK_N - 1];
			u64 pad[8 - GDL_RPICK_N];	/* e[] starts line 1 */
			struct gdl_rentry e[GDL_RFANOUT];
			u8 kdev[GDL_RFANOUT];	/* < GDL_MAX_DEVICES */
		} i;
	};
	struct gdl_rnode *link;
	struct gdl_rcu_head rcu;
};

/* One interval, as listings see it. */
struct gdl_range {
	u64 start;
	u64 end;
	u32 dev;
	u32 mode;
};

/**
 * struct gdl_rtree - one agent's permissions
 * @root:  RCU-published B+-tree of disjoint, coalesced intervals
 * @count: intervals in @root (writers under the agent lock)
 * @lock:  the lock writers hold (the agent's), for lockdep's RCU checks
 */
struct gdl_rtree {
	struct gdl_rnode *root;
	u64 count;
	const gdl_mutex_t *lock;
};

/**
 * struct gdl_agent - one agent
 * @next:        hash chain, sorted by id (RCU)
 * @id:          nonzero
 * @quota:       bytes (under alloc_lock)
 * @device_mask: devices it may use (under alloc_lock; READ_ONCE outside)
 * @used:        bytes of live allocations (under alloc_lock)
 * @nallocs:     live allocations (under alloc_lock)
 * @allocs:      its live allocations, struct gdl_arec.anode (alloc_lock)
 * @dead:        removed: allocations must not charge it (under alloc_lock)
 * @lock:        serializes grants and revokes
 * @ranges:      DMA permissions
 * @rcu:         frees the agent and its ranges after a grace period
 */
struct gdl_agent {
	struct gdl_agent *next;
	u64 id;
	u64 quota;
	u64 device_mask;
	u64 used;
	u64 nallocs;
	struct hlist_head allocs;
	bool dead;
	gdl_mutex_t lock;
	struct gdl_rtree ranges;
	struct gdl_rcu_head rcu;
};

/**
 * struct gdl_arec - one live allocation
 * @hnode: chain of the allocation hash, newest (highest id) first
 * @onode: its owner's list (unhashed for persistent allocations)
 * @anode: its agent's list
 * @agent: charged agent; cannot be removed while it has allocations, but
 *         may be as soon as this record is unlinked: after that, only
 *         @agent_id may be read
 * @owner: NULL for persistent allocations
 * @agent_id: the charged agent's id
 * @id:    never 0, never reused
 * @pending: reserved, not yet settled (gdl_alloc_reserve): FREE and the
 *         listings do not see it
 * @size:  bytes
 * @device: device index
 * @flags: GDL_ALLOC_*
 * @used_after: agent's usage right after this record left, for the trace
 * @quota_then: agent's quota then, for the trace
 *
 * hlists: the record's three links are on ALLOC's and FREE's path, and an
 * hlist's add and unlink are a few stores where Debian's list_add() and
 * list_del() each call a CONFIG_DEBUG_LIST validator (111 instructions of
 * an ALLOC + FREE pair, scripts/kernel-trace.sh); none needs a tail.
 */
struct gdl_arec {
	struct hlist_node hnode;
	struct hlist_node onode;
	struct hlist_node anode;
	struct gdl_agent *agent;
	struct gdl_owner *owner;
	u64 agent_id;
	u64 id;
	u64 size;
	u32 device;
	u32 flags;
	bool pending;
	u64 used_after;
	u64 quota_then;
};

struct gdl_dev {
	struct gdl_device_desc desc;
	u64 used;		/* under alloc_lock */
};

/*
 * Agents a removal keeps from coming back by an allocation.  The ring only
 * has to outlast requests in flight: a caller that resolved its agent from
 * a cgroup or uid binding just before the removal dropped that binding.
 */
#define GDL_REMEMBER_REMOVED	64

/**
 * struct gdl_core - one instance
 * @env:           handed to gdl_trace*()
 * @default_quota: quota of auto-created agents (0: none are created)
 * @max_agents:    most agents at once
 * @max_agent_allocs: most live allocations of one agent (0: no limit)
 * @ndev:          devices registered (before any use)
 * @capacity:      sum of the devices' capacity
 * @dev:           the devices
 * @agents_lock:   serializes changes to the agent table
 * @agent_hash:    RCU chains of agents, sorted by id
 * @agent_bits:    log2 of the number of chains
 * @nagents:       agents that exist (under agents_lock; READ_ONCE outside)
 * @removed:       the last GDL_REMEMBER_REMOVED agents removed, a ring
 *                 (agents_lock): none is re-created by an allocation
 * @nremoved:      removals so far (the ring's next slot, modulo its size)
 * @alloc_lock:    allocation table, usage, owners (see gdl_core.h)
 * @alloc_hash:    chains of struct gdl_arec, sorted by id
 * @next_alloc_id: last id handed out
 * @live:          live allocations
 * @used:          bytes of live allocations
 * @owner_hash:    chains of registered struct gdl_owner, sorted by seq
 * @next_owner_seq: last owner seq handed out
 * @stats:         per-CPU counters, enum gdl_stat
 */
struct gdl_core {
	void *env;
	u64 default_quota;
	u32 max_agents;
	u32 max_agent_allocs;
	u32 ndev;
	u64 capacity;
	struct gdl_dev dev[GDL_MAX_DEVICES];

	gdl_mutex_t agents_lock;
	struct gdl_agent **agent_hash;
	u32 agent_bits;
	u32 nagents;
	u64 removed[GDL_REMEMBER_REMOVED];
	u32 nremoved;

	gdl_spinlock_t alloc_lock;
	struct hlist_head *alloc_hash;
	u64 next_alloc_id;
	u64 live;
	u64 used;
	struct list_head *owner_hash;
	u64 next_owner_seq;

	struct gdl_pcpu *stats;
};

static inline void gdl_count(struct gdl_core *c, enum gdl_stat s, u64 v)
{
	gdl_pcpu_add(c->stats, s, v);
}

/* Two counters at once (a count and its bytes): see gdl_pcpu_add2(). */
static inline void gdl_count2(struct gdl_core *c, enum gdl_stat s, u64 v,
			      enum gdl_stat t, u64 w)
{
	gdl_pcpu_add2(c->stats, s, v, t, w);
}

static inline u64 gdl_all_devices(const struct gdl_core *c)
{
	return c->ndev >= 64 ? ~0ull : (1ull << c->ndev) - 1;
}

/* True when [start, start + length) is a valid, nonempty range. */
static inline bool gdl_range_ok(u64 start, u64 length)
{
	u64 end;

	return length && !check_add_overflow(start, length, &end);
}

static inline bool gdl_mode_ok(u32 mode)
{
	return mode && !(mode & ~GDL_DMA_RW);
}

/* gdl_agents.c (the lookup is inline: every check and allocation runs it) */
static inline u32 gdl_agent_bucket(const struct gdl_core *c, u64 id)
{
	/* Fibonacci hashing: sequential ids spread over every chain. */
	return (u32)((id * 0x9e3779b97f4a7c15ull) >> (64 - c->agent_bits));
}

/**
 * gdl_agent_find - look an agent up
 * @c:  core
 * @id: agent id
 *
 * Context: under gdl_rcu_read_lock() or gdl_spin_lock_rcu(); the agent
 * stays valid until that is dropped, or for as long as agents_lock is held.
 * Return: the agent, or NULL.
 */
static inline struct gdl_agent *gdl_agent_find(struct gdl_core *c, u64 id)
{
	struct gdl_agent *a;

	a = gdl_rcu_dereference(c->agent_hash[gdl_agent_bucket(c, id)]);
	while (a && a->id < id)
		a = gdl_rcu_dereference(a->next);
	return a && a->id == id ? a : NULL;
}

struct gdl_agent *gdl_agent_next(struct gdl_core *c, u64 id);
bool gdl_agent_removed_lately(const struct gdl_core *c, u64 id);
int gdl_agent_create_locked(struct gdl_core *c, u64 id, u64 quota,
			    u64 mask);
struct gdl_agent *gdl_agent_new(u64 id, u64 quota, u64 mask);
int gdl_agent_link_locked(struct gdl_core *c, struct gdl_agent *a);
void gdl_agent_free(struct gdl_agent *a);
void gdl_agents_destroy(struct gdl_core *c);

/* gdl_rtree.c: the B+-tree; callers hold the agent lock to change it */
void gdl_rtree_init(struct gdl_rtree *t, const gdl_mutex_t *lock);
int gdl_rtree_apply(struct gdl_rtree *t, u32 dev, u64 start, u64 end,
		    u32 mode, bool grant);
bool gdl_rtree_next(const struct gdl_rnode *root, u32 dev, u64 start,
		    struct gdl_range *out);
void gdl_rtree_free_now(struct gdl_rnode *root);

/* gdl_allocs.c */
void gdl_allocs_destroy(struct gdl_core *c);

#endif /* GDL_INTERNAL_H */
