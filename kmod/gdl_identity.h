/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_identity.h - workload identity: cgroup and uid bindings
 *
 * An operator binds a cgroup (v2) or a uid to an agent; a request on a file
 * that is not bound then acts as the agent of the caller's cgroup or its
 * nearest bound ancestor, else of the caller's uid, else as nobody
 * (docs/identity.md).  Resolution happens at request time, on the hot path,
 * so readers take no lock: both tables are xarrays read under RCU, each
 * file caches its last answer (struct gdl_ident_cache, checked without a
 * lock or an atomic), and with no binding at all a static key skips
 * resolution entirely.  Bindings are changed under one mutex.
 *
 * This header is what the operator interface (gdl_control.c) needs, and it
 * builds over the parser fuzzer's shims; the request-time fast path, which
 * needs the task's cgroup and credentials, is gdl_identity_resolve.h.
 */
#ifndef GDL_IDENTITY_H
#define GDL_IDENTITY_H

#include <linux/compiler.h>
#include <linux/proc_fs.h>
#include <linux/types.h>

/*
 * Changes.  @path is a cgroup path as /proc/<pid>/cgroup prints it for the
 * caller ("/" is the root).  When @id_out is not NULL the cgroup's id is
 * written there (put_user) before anything changes, so a fault changes
 * nothing.  Return 0 or -EINVAL (malformed path or agent 0), -ENOENT (no
 * such cgroup; unbind: not bound), -ENOMEM, -EFAULT.
 */
int gdl_identity_bind_cgroup(const char *path, u64 agent,
			     u64 __user *id_out);
int gdl_identity_unbind_cgroup(const char *path, u64 __user *id_out);
int gdl_identity_bind_uid(u32 uid, u64 agent);
int gdl_identity_unbind_uid(u32 uid);

/* Drops every binding to @agent (the agent was removed). */
void gdl_identity_forget_agent(u64 agent);

/* Unload: frees every binding. */
void gdl_identity_exit(void);

/* /proc/swarm/gpu/bindings (0400) */
extern const struct proc_ops gdl_bindings_ops;

#endif /* GDL_IDENTITY_H */
