/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_env.h - what the core logic needs from the world around it
 *
 * The core (the .c files of kmod/core/) is built twice: into
 * gpu_dma_lock.ko and into libgdlcore.so (kmod/user/).  It never includes a
 * kernel or libc header itself; it includes this file, which picks one
 * environment:
 *
 *   kernel:    gdl_env_kernel.h  (kmod/, next to the module glue)
 *   userspace: gdl_env_user.h    (kmod/user/, liburcu + pthreads, with
 *                                 allocation-failure injection)
 *
 * Both provide exactly this contract (and nothing else is used by the core):
 *
 * Types and basics
 *   u8 u16 u32 u64 s32 s64 bool true false NULL size_t
 *   errno values (EINVAL ENOENT ENOMEM EDQUOT EPERM ENOSPC ENODEV EBUSY ...)
 *   READ_ONCE(x) WRITE_ONCE(x, v) likely(x) unlikely(x) __always_inline
 *   noinline
 *   memset memcpy offsetof
 *   check_add_overflow(a, b, &sum)
 *   struct list_head, INIT_LIST_HEAD, list_add_tail, list_del, list_empty,
 *   list_first_entry, list_for_each_entry, list_for_each_entry_safe
 *   struct hlist_head, struct hlist_node, INIT_HLIST_HEAD, INIT_HLIST_NODE,
 *   hlist_add_head, hlist_del, __hlist_del, hlist_empty, hlist_entry,
 *   hlist_for_each_entry, hlist_for_each_entry_safe
 *
 * Memory (may sleep; never called with a spinlock held or in an RCU
 * read-side section; the userspace build can be told to fail the Nth call)
 *   void *gdl_zalloc(size_t n);          zeroed, small objects
 *   void *gdl_malloc(size_t n);          gdl_zalloc, not zeroed (scratch)
 *   void *gdl_zalloc_account(size_t n);  gdl_zalloc, charged to the calling
 *                                        task's memory cgroup: for objects
 *                                        a workload's request creates
 *   void *gdl_kvzalloc(size_t n);        zeroed, possibly large arrays
 *   void  gdl_zfree(void *p);            for gdl_zalloc (NULL ok); not
 *                                        gdl_free, which is gdl_core.h's
 *   void  gdl_kvfree(void *p);           for gdl_kvzalloc (NULL ok)
 *
 * Locks
 *   gdl_spinlock_t: gdl_spin_init, gdl_spin_lock, gdl_spin_unlock
 *   gdl_mutex_t:    gdl_mutex_init, gdl_mutex_lock, gdl_mutex_unlock,
 *                   gdl_mutex_destroy
 *
 * RCU
 *   gdl_rcu_read_lock(), gdl_rcu_read_unlock()
 *   gdl_spin_lock_rcu(l), gdl_spin_unlock_rcu(l)
 *                         a gdl_spinlock_t held as an RCU read section too:
 *                         for a lookup done under the lock, never a
 *                         gdl_spin_lock() inside gdl_rcu_read_lock()
 *   gdl_rcu_dereference(p)              in either kind of section only
 *   gdl_rcu_dereference_locked(p, lock) also by a holder of the mutex
 *                                       @lock (NULL: readers only); the
 *                                       kernel has lockdep check which
 *   gdl_rcu_assign_pointer(p, v)
 *   struct gdl_rcu_head; gdl_call_rcu(head, fn), fn(struct gdl_rcu_head *)
 *                         fn takes no lock: in userspace it runs inside a
 *                         later gdl_call_rcu() or gdl_rcu_barrier(), on
 *                         whatever thread called it
 *   gdl_rcu_barrier()     waits for every queued callback
 *   gdl_synchronize_rcu()
 *   container_of(ptr, type, member)
 *
 * Per-CPU counters (summed on read; increments never take a lock)
 *   struct gdl_pcpu; struct gdl_pcpu *gdl_pcpu_alloc(unsigned n);
 *   gdl_pcpu_add(pc, idx, v)   gdl_pcpu_sum(pc, idx)   gdl_pcpu_zero(pc)
 *   gdl_pcpu_add2(pc, i, vi, j, vj)   two adds, the array's address read once
 *   gdl_pcpu_free(pc)
 *
 * Randomness and context
 *   u32 gdl_random_u32(void)
 *   void gdl_cond_resched(void)      long loops call it between batches
 *
 * Decisions (tracepoints in the kernel, a per-core callback in userspace)
 *   bool gdl_trace_on(void *env, u32 kind)   cheap; false: skip building
 *                                            the record; no side effect
 *   bool gdl_trace_keep(void *env, u32 kind) once per decision whose event
 *                                            is on: false drops it here
 *                                            (the kernel samples allowed
 *                                            checks, and counts the rest)
 *   void gdl_trace(void *env, const struct gdl_decision *d)
 *   @env is gdl_core_params.env, kept by the core (the kernel passes NULL;
 *   the userspace shim passes its per-instance event ring).
 */
#ifndef GDL_ENV_H
#define GDL_ENV_H

#ifdef __KERNEL__
#include "../gdl_env_kernel.h"
#else
#include "../user/gdl_env_user.h"
#endif

#endif /* GDL_ENV_H */
