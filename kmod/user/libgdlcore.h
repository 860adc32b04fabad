/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libgdlcore.h - the module's core logic as a userspace shared library
 *
 * libgdlcore.so is the .c files of kmod/core/ built against
 * gdl_env_user.h.  The agent's embedded backend loads it with koffi
 * (agent/src/native/core.ts), and the native tests and benchmarks link it.
 * Every function is a thin shim over gdl_core.h: same semantics, same errno
 * values (negative returns).
 *
 * One handle is one independent instance of the core with one owner: its
 * non-persistent allocations live until gdlu_destroy().  A handle is not
 * thread-safe for gdlu_events_read(); everything else may be called from
 * any thread, as in the kernel.
 */
#ifndef LIBGDLCORE_H
#define LIBGDLCORE_H

#include <stdint.h>
#include "../core/gdl_core.h"

#define GDLU_EXPORT __attribute__((visibility("default")))

struct gdlu;

/* NULL on failure (bad parameters or no memory). */
GDLU_EXPORT struct gdlu *gdlu_create(uint64_t default_quota,
				     uint32_t max_agents);
GDLU_EXPORT void gdlu_destroy(struct gdlu *h);
/* Adds a simulated device; returns its index or a negative errno. */
GDLU_EXPORT int gdlu_add_device(struct gdlu *h, uint64_t capacity,
				const char *name);
GDLU_EXPORT uint32_t gdlu_num_devices(struct gdlu *h);
GDLU_EXPORT int gdlu_device_info(struct gdlu *h, uint32_t index,
				 struct gdl_device_info *out);

GDLU_EXPORT int gdlu_set_agent(struct gdlu *h, uint64_t agent_id,
			       uint64_t quota, uint64_t device_mask);
GDLU_EXPORT int gdlu_get_agent(struct gdlu *h, uint64_t agent_id,
			       struct gdl_agent_info *out);
GDLU_EXPORT int gdlu_remove_agent(struct gdlu *h, uint64_t agent_id);

GDLU_EXPORT int gdlu_alloc(struct gdlu *h, uint64_t agent_id, uint64_t size,
			   uint32_t device, uint32_t flags,
			   uint64_t *alloc_id);
GDLU_EXPORT int gdlu_free(struct gdlu *h, uint64_t alloc_id);

GDLU_EXPORT int gdlu_grant(struct gdlu *h, uint64_t agent_id,
			   uint32_t device, uint64_t start, uint64_t length,
			   uint32_t mode);
GDLU_EXPORT int gdlu_revoke(struct gdlu *h, uint64_t agent_id,
			    uint32_t device, uint64_t start, uint64_t length,
			    uint32_t mode);
GDLU_EXPORT int gdlu_check(struct gdlu *h, uint64_t agent_id,
			   uint32_t device, uint64_t addr, uint64_t length,
			   uint32_t mode);
GDLU_EXPORT int gdlu_check_many(struct gdlu *h, uint64_t agent_id,
				struct gdl_check_entry *entries,
				uint32_t count, uint32_t *allowed);

GDLU_EXPORT void gdlu_stats(struct gdlu *h, struct gdl_stats *out);
GDLU_EXPORT void gdlu_reset_stats(struct gdlu *h);

/* Listings: see gdl_core.h; the cursor starts zeroed. */
GDLU_EXPORT int gdlu_list_agents(struct gdlu *h, struct gdl_cursor *cur,
				 struct gdl_agent_view *out, uint32_t max);
GDLU_EXPORT int gdlu_list_allocs(struct gdlu *h, uint64_t agent_id,
				 struct gdl_cursor *cur,
				 struct gdl_alloc_view *out, uint32_t max);
GDLU_EXPORT int gdlu_list_grants(struct gdlu *h, uint64_t agent_id,
				 struct gdl_cursor *cur,
				 struct gdl_grant_view *out, uint32_t max);

/*
 * Decision events, in the same record format as the kernel's BPF ring
 * (struct gdl_ev_decision, kmod/include/uapi/gdl_events.h), with the pid and tid of this process.
 * The ring holds @capacity records; when full, new records are dropped and
 * counted.  0 disables (the default).  Returns 0 or -ENOMEM.
 */
GDLU_EXPORT int gdlu_events_enable(struct gdlu *h, uint32_t capacity);
/* Copies whole records into @buf; returns the bytes copied. */
GDLU_EXPORT uint32_t gdlu_events_read(struct gdlu *h, void *buf,
				      uint32_t buf_size);
GDLU_EXPORT uint64_t gdlu_events_lost(struct gdlu *h);

/*
 * Owners beyond the handle's own (the agent's socket: one connection, one
 * owner, as one open file is in the module).  Non-persistent allocations
 * made through an owner are released by gdlu_owner_close(), so a client
 * that dies gives its quota back.  @pid and @comm only label listings.
 * gdlu_owner_open() returns NULL when out of memory.
 */
struct gdlu_owner;
GDLU_EXPORT struct gdlu_owner *gdlu_owner_open(struct gdlu *h, uint32_t pid,
					       const char *comm,
					       uint64_t bound_agent);
GDLU_EXPORT void gdlu_owner_close(struct gdlu *h, struct gdlu_owner *o);
GDLU_EXPORT int gdlu_alloc_owned(struct gdlu *h, struct gdlu_owner *o,
				 uint64_t agent_id, uint64_t size,
				 uint32_t device, uint32_t flags,
				 uint64_t *alloc_id);
/* As gdlu_free(); @only_agent nonzero: -EPERM unless the allocation is its. */
GDLU_EXPORT int gdlu_free_as(struct gdlu *h, uint64_t alloc_id,
			     uint64_t only_agent);

#endif /* LIBGDLCORE_H */
