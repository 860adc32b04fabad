/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_core.h - gpu-dma-lock's enforcement logic, free of module glue
 *
 * Agents, quotas, allocations, DMA permission ranges and statistics.  This
 * API is what the module's ioctl, /proc and export glue call, and what
 * libgdlcore.so wraps for the agent's embedded mode and the native tests.
 * Nothing here touches userspace memory or knows about files or
 * capabilities: callers decide *who* may call; the core decides *what*
 * happens.
 *
 * Concurrency (see docs/design.md):
 *  - gdl_check*() take no lock: agents are found in an RCU hash table and
 *    each agent's permissions are an immutable, path-copied balanced tree
 *    whose root is RCU-published.  O(log n) in the agent's granted ranges.
 *  - Grants and revokes of one agent serialize on that agent's mutex, build
 *    the new tree version privately, publish it, and free the replaced nodes
 *    after a grace period.  On any failure the old version stays, untouched.
 *  - Allocation bookkeeping (agent and device usage, the allocation table,
 *    owner lists) is under one short spinlock: a reservation is atomic with
 *    its record, and no memory is allocated while it is held.
 *  - Counters are per-CPU.
 *
 * Return values: 0 or a positive answer on success, a negative errno on
 * failure.  Every failure leaves the state exactly as it was.
 */
#ifndef GDL_CORE_H
#define GDL_CORE_H

#include "gdl_env.h"
#include "uapi/gpu_dma_lock.h"

struct gdl_core;
struct gdl_arec;

/**
 * struct gdl_core_params - fixed at creation
 * @default_quota: quota of an agent created on first allocation or grant;
 *                 0 refuses allocations by unknown agents (-ENOENT)
 * @max_agents:    most agents that may exist at once (-ENOSPC beyond)
 * @max_agent_allocs: most live allocations one agent may hold (-EDQUOT
 *                 beyond): each is a kernel object, and a byte quota alone
 *                 lets a workload make millions of 1-byte ones; 0: no limit
 * @env:           handed back to gdl_trace_on()/gdl_trace() (gdl_env.h)
 */
struct gdl_core_params {
	u64 default_quota;
	u32 max_agents;
	u32 max_agent_allocs;
	void *env;
};

/**
 * struct gdl_device_desc - one device, registered before the core is used
 * @capacity:   bytes allocatable on it
 * @kind:       GDL_DEVICE_PCI or GDL_DEVICE_FAKE
 * @pci_domain: see struct gdl_device_info
 * @pci_bdf:    see struct gdl_device_info
 * @pci_id:     see struct gdl_device_info
 * @name:       NUL-terminated
 */
struct gdl_device_desc {
	u64 capacity;
	u32 kind;
	u32 pci_domain;
	u32 pci_bdf;
	u32 pci_id;
	char name[32];
};

/**
 * struct gdl_owner - who holds non-persistent allocations (an open file)
 *
 * Embedded by the caller (the module's per-file state).  The core links the
 * owner's allocations here; gdl_owner_release() frees all of them, so a
 * process that dies never leaks quota.  The descriptive fields are filled by
 * the caller and only shown in listings.
 */
struct gdl_owner {
	struct hlist_head allocs;	/* core-private, under the alloc lock */
	struct list_head node;		/* core-private: owner hash chain */
	u64 seq;			/* core-private: listing key */
	u64 removed_agent;		/* core-private: see gdl_agent_remove */
	u64 nallocs;			/* core-private */
	u64 bytes;			/* core-private */
	struct gdl_arec *spare;		/* core-private: see gdl_free_by */
	u64 bound_agent;		/* caller's: 0 if unbound */
	u32 pid;			/* caller's: tgid of the opener */
	char comm[16];			/* caller's: opener's comm */
};

/* Lifetime ------------------------------------------------------------- */

/* Returns NULL on allocation failure or bad params (max_agents == 0). */
struct gdl_core *gdl_core_create(const struct gdl_core_params *p);
/*
 * Frees everything, persistent allocations included.  All owners must have
 * been released first.  Waits for outstanding RCU callbacks (rcu_barrier),
 * so nothing of the core outlives this call.
 */
void gdl_core_destroy(struct gdl_core *c);
/* Before any other use.  Returns the new index, or -ENOSPC past 64. */
int gdl_core_add_device(struct gdl_core *c, const struct gdl_device_desc *d);
u32 gdl_core_num_devices(const struct gdl_core *c);
/* -ENODEV for an unknown index. */
int gdl_core_device_info(struct gdl_core *c, u32 index,
			 struct gdl_device_info *out);

/* Agents --------------------------------------------------------------- */

/* Create or update.  -EINVAL agent 0; -ENOSPC at max_agents; -ENOMEM. */
int gdl_agent_set(struct gdl_core *c, u64 agent_id, u64 quota,
		  u64 device_mask);
/*
 * Set the quota only: an existing agent keeps its mask, a new one gets
 * @new_mask.  One step, so nothing changing the mask meanwhile is undone.
 */
int gdl_agent_set_quota(struct gdl_core *c, u64 agent_id, u64 quota,
			u64 new_mask);
/* -ENOENT unknown.  out->flags and out->pad are written as 0. */
int gdl_agent_get(struct gdl_core *c, u64 agent_id,
		  struct gdl_agent_info *out);
/*
 * -ENOENT unknown; -EBUSY while it has live allocations.  Drops grants.
 * Owners bound to it (bound_agent) never re-create it by allocating: only
 * gdl_agent_set() brings it back for them.
 */
int gdl_agent_remove(struct gdl_core *c, u64 agent_id);
/*
 * Release every live allocation of an agent, persistent or owned (the
 * operator's way out of a workload that hoarded ids).  Returns the number
 * released, or -ENOENT for an unknown agent.  Allocations made after it
 * starts survive it (so a workload that keeps allocating cannot keep it
 * running), as may one mid-ioctl when it starts.
 */
s64 gdl_agent_release(struct gdl_core *c, u64 agent_id);

/* Allocations ---------------------------------------------------------- */

/*
 * Charge @size bytes on @device to @agent_id.  @owner may be NULL only with
 * GDL_ALLOC_PERSISTENT.  Errors as documented for GDL_IOC_ALLOC.  An unknown
 * agent is created with default_quota and every device in its mask (or
 * -ENOENT when default_quota is 0, or when @owner is bound to @agent_id and
 * that agent was removed).
 */
int gdl_alloc(struct gdl_core *c, struct gdl_owner *owner, u64 agent_id,
	      u64 size, u32 device, u32 flags, u64 *alloc_id);
/*
 * gdl_alloc() for callers that must hand the id out before the allocation
 * may count (the ioctl's copy-out).  gdl_alloc_reserve() decides; a refusal
 * is counted and reported as usual.  On success the bytes are held under a
 * new record, and @publish(@to, id) is called under the allocation lock
 * (it must neither sleep nor fault: the module's writes user memory with
 * page faults disabled).  If it returns true the id has reached the caller
 * and the allocation is settled at once: 0.  Else (or with @publish NULL)
 * the record stays pending, unseen by FREE and the listings, and
 * GDL_ALLOC_PENDING is returned with the id in *@alloc_id: the caller hands
 * it out its own way, then gdl_alloc_settle() either publishes it (@keep:
 * counted and reported as an allocation) or drops it without a trace.
 */
typedef bool gdl_publish_fn(void *to, u64 alloc_id);
#define GDL_ALLOC_PENDING	1
int gdl_alloc_reserve(struct gdl_core *c, struct gdl_owner *owner,
		      u64 agent_id, u64 size, u32 device, u32 flags,
		      u64 *alloc_id, gdl_publish_fn *publish, void *to);
void gdl_alloc_settle(struct gdl_core *c, u64 alloc_id, bool keep);
/*
 * Release one allocation.  @only_agent nonzero: -EPERM unless the
 * allocation belongs to that agent (unprivileged callers).  -ENOENT unknown.
 */
int gdl_free(struct gdl_core *c, u64 alloc_id, u64 only_agent);
/*
 * gdl_free() on behalf of @caller (may be NULL), which is alive for the
 * whole call: a record @caller itself owned is kept as its spare (one at
 * most, still charged to whoever first allocated it, freed with the owner)
 * and the caller's next non-persistent gdl_alloc_reserve() takes it
 * instead of allocating, so an ALLOC/FREE pair costs no slab round trip.
 */
int gdl_free_by(struct gdl_core *c, struct gdl_owner *caller, u64 alloc_id,
		u64 only_agent);
/* Registers an owner (listed in "contexts").  Cannot fail. */
void gdl_owner_init(struct gdl_core *c, struct gdl_owner *owner);
/* Frees every non-persistent allocation of @owner and unregisters it. */
void gdl_owner_release(struct gdl_core *c, struct gdl_owner *owner);

/* DMA permissions ------------------------------------------------------ */

/*
 * Add (grant) or remove (revoke) @mode on [start, start + length) of
 * @device for @agent_id.  -EINVAL zero length, overflow, mode 0 or unknown
 * bits; -ENODEV unknown device; -ENOENT unknown agent; -EPERM (grant only)
 * device not in the agent's mask; -ENOMEM; -ENOSPC (grant creating an agent
 * at max_agents).  A grant to an unknown agent creates it as a first
 * allocation does when default_quota is set; a failed grant creates nothing.
 */
int gdl_grant(struct gdl_core *c, u64 agent_id, u32 device, u64 start,
	      u64 length, u32 mode);
int gdl_revoke(struct gdl_core *c, u64 agent_id, u32 device, u64 start,
	       u64 length, u32 mode);
/* gdl_grant() if @grant, else gdl_revoke(): for callers handed the direction. */
int gdl_range_apply(struct gdl_core *c, bool grant, u64 agent_id, u32 device,
		    u64 start, u64 length, u32 mode);
/*
 * gdl_grant(), but an unknown agent is created (default_quota, every
 * device) even when default_quota is 0: the prototype's dma_permissions
 * file always did.
 */
int gdl_grant_create(struct gdl_core *c, u64 agent_id, u32 device, u64 start,
		     u64 length, u32 mode);
/* True when a request's range and mode are well formed (nonzero length, no
 * overflow, known nonzero mode): what callers validate before deciding who
 * may ask. */
static inline bool gdl_request_valid(u64 start, u64 length, u32 mode)
{
	u64 end;

	return length && !check_add_overflow(start, length, &end) && mode &&
	       !(mode & ~(u32)GDL_DMA_RW);
}

/*
 * GDL_CHECK_ALLOWED (1) or GDL_CHECK_DENIED (0); -EINVAL for zero length,
 * overflow, mode 0 or unknown mode bits.  Lock-free; may run in any context
 * a kernel RCU reader may (also from other modules via the export).  Only
 * devices in the agent's current mask are allowed, whatever was granted.
 */
int gdl_check(struct gdl_core *c, u64 agent_id, u32 device, u64 addr,
	      u64 length, u32 mode);
/*
 * Validates every entry first (-EINVAL: nothing counted), then answers each
 * into e[i].result.  *allowed gets the number allowed.
 */
int gdl_check_many(struct gdl_core *c, u64 agent_id,
		   struct gdl_check_entry *e, u32 n, u32 *allowed);
/*
 * gdl_check_many() in parts, for a batch that is only counted once it has
 * fully succeeded (the ioctl's later chunks may fault): decide validates
 * and answers, counting and reporting nothing; gdl_check_count() counts
 * @n checks of which @allowed passed; gdl_check_report() emits the
 * decision records of answered entries; gdl_check_reported() says whether
 * anyone listens (so the caller keeps the entries for the report).
 */
int gdl_check_decide(struct gdl_core *c, u64 agent_id,
		     struct gdl_check_entry *e, u32 n, u32 *allowed);
/*
 * gdl_check_decide() for @n entries the caller has already validated
 * (each gdl_request_valid() with flags 0; @n at most
 * GDL_CHECK_BATCH_MAX): one RCU section and one agent lookup for them all,
 * every entry answered from that one version of the agent's permissions.
 */
void gdl_check_answer(struct gdl_core *c, u64 agent_id,
		      struct gdl_check_entry *e, u32 n, u32 *allowed);
void gdl_check_count(struct gdl_core *c, u64 n, u64 allowed);
void gdl_check_report(struct gdl_core *c, u64 agent_id,
		      const struct gdl_check_entry *e, u32 n);
bool gdl_check_reported(struct gdl_core *c);

/* Statistics ----------------------------------------------------------- */

/* Fills every field but flags and pad (written as 0). */
void gdl_stats_read(struct gdl_core *c, struct gdl_stats *out);
/* Zeroes the counters; gauges (agents, live, used, capacity) stay. */
void gdl_stats_reset(struct gdl_core *c);

/* Listings --------------------------------------------------------------
 *
 * Each call copies at most @max records after @cursor into @out, advances
 * the cursor and returns the number copied (0: the end).  A cursor starts
 * zeroed.  A walk over an unchanging table returns every record exactly
 * once; records added or removed during a walk may or may not appear.
 * Each call holds locks only while copying, never while the caller formats.
 */
struct gdl_cursor {
	u64 a, b, c;	/* opaque */
};

struct gdl_agent_view {
	u64 agent_id;
	u64 quota;
	u64 used;
	u64 device_mask;
	u64 allocations;
	u64 grants;
};
int gdl_list_agents(struct gdl_core *c, struct gdl_cursor *cur,
		    struct gdl_agent_view *out, u32 max);

struct gdl_alloc_view {
	u64 alloc_id;
	u64 agent_id;
	u64 size;
	u32 device;
	u32 flags;	/* GDL_ALLOC_* */
	u32 owner_pid;	/* 0 for persistent */
	u32 pad;
};
/* @agent_id nonzero: only that agent's allocations. */
int gdl_list_allocs(struct gdl_core *c, u64 agent_id, struct gdl_cursor *cur,
		    struct gdl_alloc_view *out, u32 max);

struct gdl_grant_view {
	u64 agent_id;
	u64 start;
	u64 length;
	u32 device;
	u32 mode;
};
/* @agent_id nonzero: only that agent's ranges.  Ordered by device, start. */
int gdl_list_grants(struct gdl_core *c, u64 agent_id, struct gdl_cursor *cur,
		    struct gdl_grant_view *out, u32 max);

struct gdl_owner_view {
	u64 bound_agent;
	u64 nallocs;
	u64 bytes;
	u32 pid;
	u32 pad;
	char comm[16];
};
int gdl_list_owners(struct gdl_core *c, struct gdl_cursor *cur,
		    struct gdl_owner_view *out, u32 max);

#endif /* GDL_CORE_H */
