/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_ioctl.h - what the two ioctl files share
 *
 * gdl_ioctl.c handles the current ABI (GDL_IOC_*) and dispatches;
 * gdl_ioctl_swarm.c handles the prototype's SWARM_* commands.  Both follow
 * the same identity rules, which live here so that there is one copy:
 *
 *  - CAP_SYS_ADMIN may name any agent, free any allocation and allocate
 *    persistently; the LSMs are asked once per file and credentials
 *    (gdl_file_admin());
 *  - anyone may act as the agent the file is bound to (agent_id 0 or that
 *    id), without any capability check on that path;
 *  - on a file that is not bound, the same holds for the caller's agent by
 *    its cgroup or uid binding (gdl_identity.h), resolved at every request;
 *  - configuration (agents, grants, binding) needs CAP_SYS_ADMIN, asked of
 *    the LSMs at every call.
 */
#ifndef GDL_IOCTL_H
#define GDL_IOCTL_H

#include <linux/capability.h>
#include <linux/compiler.h>
#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/uaccess.h>

#include "gdl_identity.h"
#include "gdl_identity_resolve.h"
#include "gdl_module.h"

/**
 * struct gdl_file - per open file of /dev/gpu_dma_lock
 * @owner: the core's owner record; @owner.bound_agent is the binding
 * @ident: the last cgroup/uid resolution on this file (zeroed at open: it
 *         matches nothing), keyed on who asked, so sharing the file is safe
 * @admin_cred: the last credentials that had CAP_SYS_ADMIN on this file
 *         (a reference, or NULL); compared, never read through
 * @batch: a CHECK_BATCH copy buffer of GDL_BATCH_KEEP entries, made at the
 *         first batch the stack cannot hold and kept for the next ones
 * @batch_busy: bit 0 while a batch uses @batch (another one at that moment
 *         allocates its own)
 */
struct gdl_file {
	struct gdl_owner owner;
	struct gdl_ident_cache ident;
	const struct cred *admin_cred;
	struct gdl_check_entry *batch;
	unsigned long batch_busy;
};

bool gdl_file_admin_ask(struct gdl_file *f, const struct cred *cred);

/*
 * gdl_file_admin - CAP_SYS_ADMIN for the caller of a request on @f
 *
 * capable() asks every LSM (133 instructions of a 900-instruction CHECK
 * naming an agent).  Credentials never change once made: setuid, capset and
 * a new namespace each make new ones, and a forked process gets its own.
 * So credentials that passed on this file pass again without asking; any
 * others are asked, and remembered when they pass.  A descriptor handed to
 * another process therefore carries no privilege, as with capable().  What
 * this gives up: an LSM policy loaded later does not revoke what these
 * credentials were already allowed on this open file (as a file's mode is
 * not checked again after open), and only the first success is audited.
 * Configuration asks every time (gdl_require_admin()).
 */
static __always_inline bool gdl_file_admin(const struct gdl_file *f)
{
	const struct cred *cred = current_cred();

	if (likely(READ_ONCE(f->admin_cred) == cred))
		return true;
	return gdl_file_admin_ask((struct gdl_file *)f, cred);
}

static inline u64 gdl_bound_agent(const struct gdl_file *f)
{
	return READ_ONCE(f->owner.bound_agent);
}

/*
 * gdl_caller_agent - who the caller is without naming anyone: the file's
 * binding, else its cgroup's (nearest bound ancestor), else its uid's, else
 * 0.  A bound file never pays for the cgroup walk, with no cgroup or uid
 * binding at all the walk is one patched-out jump, and otherwise it is
 * usually a cache hit (struct gdl_ident_cache).  The cache is written
 * through a const file: it remembers an answer, it changes no state of the
 * file (and the file is never a const object).
 */
static inline u64 gdl_caller_agent(const struct gdl_file *f)
{
	u64 bound = gdl_bound_agent(f);

	return bound ? bound :
	       gdl_identity_resolve((struct gdl_ident_cache *)&f->ident);
}

/*
 * gdl_act_as - the agent a request that names @requested acts as
 *
 * The bound agent needs no privilege, so the common case (a bound workload
 * passing 0 or its own id) does not reach the capability check at all.
 */
static inline int gdl_act_as(const struct gdl_file *f, u64 requested,
			     u64 *agent)
{
	u64 bound = gdl_caller_agent(f);

	if (bound && (!requested || requested == bound)) {
		*agent = bound;
		return 0;
	}
	if (!gdl_file_admin(f))
		return -EPERM;
	/* A privileged caller with no agent of its own must name one. */
	if (!requested)
		return -EINVAL;
	*agent = requested;
	return 0;
}

static inline int gdl_require_admin(void)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

/*
 * gdl_get_arg - the hot paths' one copy in (CHECK, ALLOC, FREE and the
 * prototype's CHECK): the whole argument struct, in one user-access window
 *
 * The same bytes copy_from_user() would fault on, read as 64-bit words
 * without its call chain and length-generic copy loop (that was a third of
 * an allowed CHECK's own cost).  Every argument struct is a whole number of
 * words; the loop is unrolled, so each word is one load.  Declare @k
 * __uninitialized: Debian's kernels zero every local on entry
 * (CONFIG_INIT_STACK_ALL_ZERO), stores wasted on a struct this fills whole
 * before anything reads it (a failed read returns before any does).
 */
#define gdl_get_arg(k, u) ({						\
	BUILD_BUG_ON(sizeof(*(k)) != sizeof(*(u)) ||			\
		     sizeof(*(k)) % sizeof(u64));			\
	gdl_get_words((u64 *)(k), (const u64 __user *)(u),		\
		      sizeof(*(k)) / sizeof(u64));			\
})

static __always_inline int gdl_get_words(u64 *k, const u64 __user *u,
					 size_t n)
{
	size_t i;

	if (!user_read_access_begin(u, n * sizeof(*u)))
		return -EFAULT;
#pragma GCC unroll 8
	for (i = 0; i < n; i++)
		unsafe_get_user(k[i], &u[i], efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * gdl_put_u32 - the hot paths' one copy out (CHECK's result): inline in
 * one user-access window, where put_user() calls an out-of-line helper
 */
static __always_inline int gdl_put_u32(u32 v, u32 __user *u)
{
	if (!user_write_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_put_user(v, u, efault);
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * gdl_free_limit - the agent whose allocations the caller may free without
 * privilege: its own agent (the file's binding, else its cgroup's or uid's),
 * or 0 (none).  No capability is checked here: gdl_do_free() asks for
 * CAP_SYS_ADMIN only when this does not suffice, so a confined workload
 * freeing its own allocations never logs a denial.
 */
static inline int gdl_free_limit(const struct gdl_file *f, u64 *only_agent)
{
	*only_agent = gdl_caller_agent(f);
	return 0;
}

/* Handlers both ABIs share (gdl_ioctl.c). */
int gdl_do_alloc(struct gdl_file *f, u64 requested, u64 size, u32 device,
		 u32 flags, u64 __user *uid);
long gdl_do_free(struct gdl_file *f, u64 alloc_id);

/* gdl_ioctl_swarm.c: a SWARM_* command, or -ENOTTY. */
long gdl_swarm_ioctl(struct gdl_file *f, unsigned int cmd, unsigned long arg);

#endif /* GDL_IOCTL_H */
