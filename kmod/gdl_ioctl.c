// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_ioctl.c - /dev/gpu_dma_lock: open files and the GDL_IOC_* commands
 *
 * Every open file is an owner (struct gdl_owner): its non-persistent
 * allocations die with it, so a crashed workload never leaks quota.  A file
 * may be bound to one agent by a CAP_SYS_ADMIN process (GDL_IOC_BIND), which
 * then hands the descriptor to an unprivileged workload; from then on the
 * workload can only act as that agent.
 *
 * Each command has one handler that does, in this order: copy the argument
 * in, validate it (reserved fields zero, no unknown flags), decide whether
 * the caller may do it, call the core, copy the answer out.  Nothing about
 * quotas or ranges is decided here.
 *
 * The identity rules are in gdl_ioctl.h (cgroup and uid bindings in
 * gdl_identity.c); the prototype's commands, which
 * reach the dispatcher's default branch, are in gdl_ioctl_swarm.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gdl_ioctl.h"
#include "gdl_check.h"	/* CHECK's hot path, inline */
#include "gdl_alloc.h"	/* ALLOC's and FREE's, inline */

/*
 * A CHECK_BATCH is copied in whole, once: up to GDL_BATCH_STACK entries
 * into a stack buffer (1 KiB, far below the frame limit), up to
 * GDL_BATCH_KEEP into the file's own buffer (8 KiB, made at the first such
 * batch and kept: allocating, zeroing and freeing 2 KiB per call was 11 of
 * a 64-entry batch's 79 instructions per entry), a larger one into a buffer
 * allocated for the call.  Its entries are answered GDL_BATCH_DECIDE per
 * RCU read-side section, with a chance to reschedule between sections.
 */
#define GDL_BATCH_STACK		32
#define GDL_BATCH_KEEP		256
#define GDL_BATCH_DECIDE	1024

static int gdl_open(struct inode *inode, struct file *file)
{
	struct gdl_file *f;

	/* Anyone may open many: the opener's memory cgroup pays. */
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->owner.pid = task_tgid_nr(current);
	get_task_comm(f->owner.comm, current);
	gdl_owner_init(gdl.core, &f->owner);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int gdl_release(struct inode *inode, struct file *file)
{
	struct gdl_file *f = file->private_data;

	gdl_owner_release(gdl.core, &f->owner);
	if (f->admin_cred)
		put_cred(f->admin_cred);
	kfree(f->batch);
	kfree(f);
	return 0;
}

/*
 * gdl_file_admin()'s question to the LSMs: on success @cred replaces the
 * credentials @f remembers (a reference each; no reader dereferences the
 * pointer, so the old reference may go at once).
 */
bool gdl_file_admin_ask(struct gdl_file *f, const struct cred *cred)
{
	const struct cred *old;

	if (!capable(CAP_SYS_ADMIN))
		return false;
	old = xchg(&f->admin_cred, get_cred(cred));
	if (old)
		put_cred(old);
	return true;
}

static long gdl_ioc_info(struct gdl_file *f, void __user *argp)
{
	struct gdl_info info;
	u64 bound = gdl_bound_agent(f);

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (info.flags)
		return -EINVAL;

	info.abi_version = GDL_ABI_VERSION;
	info.num_devices = gdl.num_devices;
	info.bound = bound ? 1 : 0;
	info.bound_agent = bound;
	info.max_agents = gdl.max_agents;
	info.default_quota = gdl.default_quota;

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long gdl_ioc_bind(struct gdl_file *f, void __user *argp)
{
	struct gdl_bind b;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.pad)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	WRITE_ONCE(f->owner.bound_agent, b.agent_id);
	return 0;
}

static long gdl_ioc_set_agent(void __user *argp)
{
	struct gdl_agent_cfg cfg;
	int ret;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	if (cfg.flags || cfg.pad || !cfg.agent_id)
		return -EINVAL;
	ret = gdl_require_admin();
	if (ret)
		return ret;

	return gdl_agent_set(gdl.core, cfg.agent_id, cfg.quota,
			     cfg.device_mask);
}

static long gdl_ioc_get_agent(struct gdl_file *f, void __user *argp)
{
	struct gdl_agent_info info;
	u64 requested, agent;
	int ret;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (info.flags || info.pad)
		return -EINVAL;
	ret = gdl_act_as(f, info.agent_id, &agent);
	if (ret)
		return ret;

	requested = info.agent_id;
	ret = gdl_agent_get(gdl.core, agent, &info);
	if (ret < 0)
		return ret;
	/* agent_id is an input: hand back what the caller wrote. */
	info.agent_id = requested;
	info.flags = 0;
	info.pad = 0;

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

/* REMOVE_AGENT's and RELEASE_AGENT's argument: an agent, root only. */
static int gdl_agent_ref_get(void __user *argp, u64 *agent)
{
	struct gdl_agent_ref ref;

	if (copy_from_user(&ref, argp, sizeof(ref)))
		return -EFAULT;
	if (ref.flags || ref.pad || !ref.agent_id)
		return -EINVAL;
	*agent = ref.agent_id;
	return gdl_require_admin();
}

static long gdl_ioc_remove_agent(void __user *argp)
{
	u64 agent;
	int ret;

	ret = gdl_agent_ref_get(argp, &agent);
	if (ret)
		return ret;

	ret = gdl_agent_remove(gdl.core, agent);
	if (!ret)
		gdl_identity_forget_agent(agent);
	return ret;
}

/*
 * Writes the new id while the core holds its allocation lock (the
 * allocation is then settled with no second lock): with page faults
 * disabled, a page not present fails the write instead of sleeping, and
 * gdl_do_alloc() takes the slow way.  Inline (gdl_alloc_reserve_valid()
 * is handed it as a constant): no call through a pointer.  put_user(), not
 * a user-access window: on x86 opening one for a write fences speculation
 * (an LFENCE) that a store needs no more than put_user()'s helper does,
 * and this one runs under the lock.
 */
static __always_inline bool gdl_publish_user(void *to, u64 alloc_id)
{
	u64 __user *uid = (u64 __force __user *)to;
	bool ok;

	pagefault_disable();
	ok = !put_user(alloc_id, uid);
	pagefault_enable();
	return ok;
}

/*
 * gdl_do_alloc - shared by GDL_IOC_ALLOC and SWARM_GPU_ALLOC: the new
 * allocation's id is written to @uid, and only it: the caller's input
 * fields are never rewritten.
 *
 * A persistent allocation has no owner: only FREE (or RELEASE_AGENT) ends
 * it, so only CAP_SYS_ADMIN may make one; otherwise a workload's records
 * would outlive it.  An allocation whose id never reached the caller is
 * dropped without a trace: a failed ioctl changes no counter and reports
 * no decision.
 */
static __always_inline int __gdl_do_alloc(struct gdl_file *f, u64 requested,
					  u64 size, u32 device, u32 flags,
					  u64 __user *uid)
{
	u64 agent, alloc_id __uninitialized;
	bool ok;
	int ret;

	if (flags & ~GDL_ALLOC_FLAGS || !size)
		return -EINVAL;
	ret = gdl_act_as(f, requested, &agent);
	if (ret)
		return ret;
	if ((flags & GDL_ALLOC_PERSISTENT) && !gdl_file_admin(f))
		return -EPERM;

	ret = gdl_alloc_reserve_valid(gdl.core, &f->owner, agent, size,
				      device, flags, &alloc_id,
				      gdl_publish_user, (void __force *)uid);
	if (ret != GDL_ALLOC_PENDING)
		return ret;
	/* The id's page was not present: write it where faults may sleep. */
	ok = !put_user(alloc_id, uid);
	gdl_alloc_settle(gdl.core, alloc_id, ok);
	return ok ? 0 : -EFAULT;
}

/* Inline in GDL_IOC_ALLOC's path (a call, a frame and a stack canary less). */
int gdl_do_alloc(struct gdl_file *f, u64 requested, u64 size, u32 device,
		 u32 flags, u64 __user *uid)
{
	return __gdl_do_alloc(f, requested, size, device, flags, uid);
}

static long gdl_ioc_alloc(struct gdl_file *f, void __user *argp)
{
	struct gdl_alloc __user *ua = argp;
	struct gdl_alloc a __uninitialized;

	if (gdl_get_arg(&a, ua))
		return -EFAULT;
	return __gdl_do_alloc(f, a.agent_id, a.size, a.device, a.flags,
			      &ua->alloc_id);
}

static __always_inline long __gdl_do_free(struct gdl_file *f, u64 alloc_id)
{
	u64 only_agent;
	int ret;

	ret = gdl_free_limit(f, &only_agent);
	if (ret)
		return ret;
	/* The caller's own allocation: no privilege needed, none asked. */
	if (only_agent) {
		ret = __gdl_free_by(gdl.core, &f->owner, alloc_id,
				    only_agent);
		if (ret != -EPERM)
			return ret;
	}
	if (!gdl_file_admin(f))
		return -EPERM;

	return gdl_free_by(gdl.core, &f->owner, alloc_id, 0);
}

/* Inline in GDL_IOC_FREE's path, as __gdl_do_alloc(). */
long gdl_do_free(struct gdl_file *f, u64 alloc_id)
{
	return __gdl_do_free(f, alloc_id);
}

static long gdl_ioc_free(struct gdl_file *f, void __user *argp)
{
	struct gdl_free __user *uf = argp;
	struct gdl_free fr __uninitialized;

	if (gdl_get_arg(&fr, uf))
		return -EFAULT;
	if (fr.flags || fr.pad)
		return -EINVAL;

	return __gdl_do_free(f, fr.alloc_id);
}

static long gdl_ioc_grant(void __user *argp, bool grant)
{
	struct gdl_grant g;
	int ret;

	if (copy_from_user(&g, argp, sizeof(g)))
		return -EFAULT;
	if (g.flags || g.pad || !g.agent_id ||
	    !gdl_request_valid(g.addr, g.length, g.mode))
		return -EINVAL;
	ret = gdl_require_admin();
	if (ret)
		return ret;

	return gdl_range_apply(gdl.core, grant, g.agent_id, g.device, g.addr,
			       g.length, g.mode);
}

static long gdl_ioc_check(struct gdl_file *f, void __user *argp)
{
	struct gdl_check __user *uc = argp;
	struct gdl_check c __uninitialized;
	u64 agent;
	int ret;

	if (gdl_get_arg(&c, uc))
		return -EFAULT;
	if (c.flags || !gdl_request_valid(c.addr, c.length, c.mode))
		return -EINVAL;
	ret = gdl_act_as(f, c.agent_id, &agent);
	if (ret)
		return ret;

	ret = gdl_check_valid(gdl.core, agent, c.device, c.addr, c.length,
			      c.mode);
	/* The hot path: write back the one out field, not the struct. */
	return gdl_put_u32((u32)ret, &uc->result);
}

static bool gdl_check_entry_valid(const struct gdl_check_entry *e)
{
	return !e->flags && gdl_request_valid(e->addr, e->length, e->mode);
}

/* Writes back only the results: inputs are never rewritten. */
static int gdl_batch_put_results(struct gdl_check_entry __user *ue,
				 const struct gdl_check_entry *e, u32 n)
{
	u32 i;

	if (!user_write_access_begin(ue, (size_t)n * sizeof(*ue)))
		return -EFAULT;
	for (i = 0; i < n; i++)
		unsafe_put_user(e[i].result, &ue[i].result, efault);
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * gdl_batch_run - a CHECK_BATCH whose entries are in @e (kernel memory)
 *
 * The array was copied in once, whole, so every entry is validated before
 * anything is decided (the ABI: a malformed entry fails the batch before
 * any check is counted), each is answered from that one copy, and the
 * results go out in one user-access window.  Nothing is counted or
 * reported until every result and @allowed are written: a fault fails the
 * command with no trace (results already written are the caller's memory,
 * not state).
 */
static long gdl_batch_run(struct gdl_file *f, struct gdl_check_batch *b,
			  struct gdl_check_batch __user *ub,
			  struct gdl_check_entry *e)
{
	struct gdl_check_entry __user *ue = u64_to_user_ptr(b->entries);
	u32 i, done, n, ok;
	u64 agent;
	int ret;

	if (copy_from_user(e, ue, (size_t)b->count * sizeof(*e)))
		return -EFAULT;
	for (i = 0; i < b->count; i++)
		if (!gdl_check_entry_valid(&e[i]))
			return -EINVAL;
	ret = gdl_act_as(f, b->agent_id, &agent);
	if (ret)
		return ret;

	b->allowed = 0;
	for (done = 0; done < b->count; done += n) {
		n = min_t(u32, b->count - done, GDL_BATCH_DECIDE);
		gdl_check_answer(gdl.core, agent, e + done, n, &ok);
		b->allowed += ok;
		if (done + n < b->count)
			cond_resched();
	}
	ret = gdl_batch_put_results(ue, e, b->count);
	if (!ret && put_user(b->allowed, &ub->allowed))
		ret = -EFAULT;
	if (ret)
		return ret;
	gdl_check_count(gdl.core, b->count, b->allowed);
	if (unlikely(gdl_check_reported(gdl.core)))
		gdl_check_report(gdl.core, agent, e, b->count);
	return 0;
}

/*
 * The file's batch buffer, if it is free (and made, the first time);
 * NULL: the caller allocates one for the call.
 */
static struct gdl_check_entry *gdl_batch_take(struct gdl_file *f)
{
	if (test_and_set_bit_lock(0, &f->batch_busy))
		return NULL;
	/*
	 * Made once, under the bit, and charged to the memory cgroup of the
	 * task that sends the first such batch (a file handed on after BIND:
	 * the workload's), as the per-call buffers are.
	 */
	if (!f->batch)
		f->batch = kmalloc_array(GDL_BATCH_KEEP, sizeof(*f->batch),
					 GFP_KERNEL_ACCOUNT);
	if (!f->batch)
		clear_bit_unlock(0, &f->batch_busy);
	return f->batch;
}

/*
 * A batch is answered from the stack, the file's buffer, or the heap.  The
 * stack buffer and @b are __uninitialized: each is filled by its copy in
 * before any read (zeroing the 1 KiB at every call was 128 instructions).
 */
static noinline_for_stack long
gdl_ioc_check_batch(struct gdl_file *f, void __user *argp)
{
	struct gdl_check_entry small[GDL_BATCH_STACK] __uninitialized;
	struct gdl_check_entry *e = small;
	struct gdl_check_batch __user *ub = argp;
	struct gdl_check_batch b __uninitialized;
	bool kept = false;
	long ret;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (b.flags || b.pad || !b.count || b.count > GDL_CHECK_BATCH_MAX)
		return -EINVAL;
	if (b.count > GDL_BATCH_STACK) {
		e = b.count <= GDL_BATCH_KEEP ? gdl_batch_take(f) : NULL;
		kept = e;
		/* At most 2 MiB, charged to the caller while the call lasts. */
		if (!e)
			e = kvmalloc_array(b.count, sizeof(*e),
					   GFP_KERNEL_ACCOUNT);
		if (!e)
			return -ENOMEM;
	}
	ret = gdl_batch_run(f, &b, ub, e);
	if (kept)
		clear_bit_unlock(0, &f->batch_busy);
	else if (e != small)
		kvfree(e);
	return ret;
}

/*
 * GDL_IOC_RELEASE_AGENT: end every allocation of an agent, persistent or
 * owned by any open file (their owners simply find them gone).
 */
static long gdl_ioc_release_agent(void __user *argp)
{
	u64 agent;
	s64 ret;

	ret = gdl_agent_ref_get(argp, &agent);
	if (ret)
		return ret;

	ret = gdl_agent_release(gdl.core, agent);
	return ret < 0 ? ret : 0;
}

static long gdl_ioc_get_stats(void __user *argp)
{
	struct gdl_stats st;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	if (st.flags || st.pad)
		return -EINVAL;

	gdl_stats_read(gdl.core, &st);
	st.flags = 0;
	st.pad = 0;

	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long gdl_ioc_get_device(void __user *argp)
{
	struct gdl_device_info di;
	u32 index;
	int ret;

	if (copy_from_user(&di, argp, sizeof(di)))
		return -EFAULT;
	if (di.flags)
		return -EINVAL;

	index = di.index;
	memset(&di, 0, sizeof(di));
	ret = gdl_core_device_info(gdl.core, index, &di);
	if (ret < 0)
		return ret;
	di.index = index;
	di.flags = 0;

	return copy_to_user(argp, &di, sizeof(di)) ? -EFAULT : 0;
}

/*
 * BIND_CGROUP and UNBIND_CGROUP: the path is copied in whole (at most
 * GDL_CGROUP_PATH_MAX bytes with its NUL, else -EINVAL); the cgroup's id is
 * written out before the binding changes, so a fault changes nothing.
 */
static long gdl_ioc_cgroup_binding(void __user *argp, bool bind)
{
	struct gdl_cgroup_binding __user *ub = argp;
	struct gdl_cgroup_binding cb;
	char *path;
	long ret;

	if (copy_from_user(&cb, argp, sizeof(cb)))
		return -EFAULT;
	if (cb.flags || cb.pad || (bind ? !cb.agent_id : cb.agent_id))
		return -EINVAL;
	ret = gdl_require_admin();
	if (ret)
		return ret;

	path = strndup_user(u64_to_user_ptr(cb.path), GDL_CGROUP_PATH_MAX);
	if (IS_ERR(path))
		return PTR_ERR(path);
	if (bind)
		ret = gdl_identity_bind_cgroup(path, cb.agent_id,
					       &ub->cgroup_id);
	else
		ret = gdl_identity_unbind_cgroup(path, &ub->cgroup_id);
	kfree(path);
	return ret;
}

static long gdl_ioc_uid_binding(void __user *argp, bool bind)
{
	struct gdl_uid_binding ub;
	int ret;

	if (copy_from_user(&ub, argp, sizeof(ub)))
		return -EFAULT;
	if (ub.flags || (bind ? !ub.agent_id : ub.agent_id))
		return -EINVAL;
	ret = gdl_require_admin();
	if (ret)
		return ret;

	return bind ? gdl_identity_bind_uid(ub.uid, ub.agent_id) :
		      gdl_identity_unbind_uid(ub.uid);
}

static long gdl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gdl_file *f = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case GDL_IOC_NOOP:
		return 0;
	case GDL_IOC_INFO:
		return gdl_ioc_info(f, argp);
	case GDL_IOC_BIND:
		return gdl_ioc_bind(f, argp);
	case GDL_IOC_SET_AGENT:
		return gdl_ioc_set_agent(argp);
	case GDL_IOC_GET_AGENT:
		return gdl_ioc_get_agent(f, argp);
	case GDL_IOC_REMOVE_AGENT:
		return gdl_ioc_remove_agent(argp);
	case GDL_IOC_ALLOC:
		return gdl_ioc_alloc(f, argp);
	case GDL_IOC_FREE:
		return gdl_ioc_free(f, argp);
	case GDL_IOC_GRANT:
		return gdl_ioc_grant(argp, true);
	case GDL_IOC_REVOKE:
		return gdl_ioc_grant(argp, false);
	case GDL_IOC_CHECK:
		return gdl_ioc_check(f, argp);
	case GDL_IOC_CHECK_BATCH:
		return gdl_ioc_check_batch(f, argp);
	case GDL_IOC_GET_STATS:
		return gdl_ioc_get_stats(argp);
	case GDL_IOC_GET_DEVICE:
		return gdl_ioc_get_device(argp);
	case GDL_IOC_BIND_CGROUP:
		return gdl_ioc_cgroup_binding(argp, true);
	case GDL_IOC_UNBIND_CGROUP:
		return gdl_ioc_cgroup_binding(argp, false);
	case GDL_IOC_BIND_UID:
		return gdl_ioc_uid_binding(argp, true);
	case GDL_IOC_UNBIND_UID:
		return gdl_ioc_uid_binding(argp, false);
	case GDL_IOC_RELEASE_AGENT:
		return gdl_ioc_release_agent(argp);
	default:
		return gdl_swarm_ioctl(f, cmd, arg);
	}
}

const struct file_operations gdl_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= gdl_open,
	.release	= gdl_release,
	.unlocked_ioctl	= gdl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	/*
	 * No .llseek: gdl_open()'s nonseekable_open() already makes lseek fail
	 * with -ESPIPE, and no_llseek no longer exists from Linux 6.12 on.
	 */
};
