// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_identity.c - cgroup and uid bindings, and resolving the caller by them
 *
 * Two xarrays map a cgroup id (cgroup v2, the directory's inode number) and
 * a uid (initial user namespace) to a struct gdl_binding.  Readers - every
 * request on an unbound file whose cached answer does not match (see struct
 * gdl_ident_cache) - look up under RCU without a lock; writers (root's
 * ioctls and control lines) serialise on gdl_ident_lock, bump
 * gdl_identity_gen after every change (so no cached answer outlives it),
 * and free a replaced or removed binding after a grace period.
 *
 * A cgroup binding holds no reference on its cgroup: a removed cgroup is
 * freed as usual (no dying cgroup is pinned), and since cgroup ids are never
 * reused while the system runs, its binding can never match anything again.
 * Such a binding is dropped at the next bind or listing (when the caller
 * sees the whole cgroup tree, see gdl_sees_all_cgroups()), by an unbind of
 * its path, when its agent is removed, or at unload.
 *
 * Paths are resolved in the caller's cgroup namespace, exactly as
 * /proc/<pid>/cgroup prints them for the caller; the listing shows every
 * path from the root of the whole cgroup2 hierarchy.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/kernfs.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "gdl_identity.h"
#include "gdl_identity_resolve.h"
#include "gdl_module.h"

/* xarray indexes are unsigned long: a cgroup id is a u64. */
static_assert(sizeof(unsigned long) >= sizeof(u64));

/**
 * struct gdl_binding - one cgroup or uid bound to an agent
 * @agent: the agent; rebinding changes it in place (READ_ONCE by readers)
 * @rcu:   deferred free
 * @path:  cgroup bindings: the path from the cgroup2 root, as bound; uid
 *         bindings: empty
 */
struct gdl_binding {
	u64 agent;
	struct rcu_head rcu;
	char path[];
};

DEFINE_STATIC_KEY_FALSE(gdl_identity_active);

static DEFINE_MUTEX(gdl_ident_lock);
static DEFINE_XARRAY(gdl_cgroup_bindings);
static DEFINE_XARRAY(gdl_uid_bindings);
/* Bindings in each table: a nonzero count is what "bound" costs readers. */
static unsigned long gdl_ncgroups, gdl_nuids;

/* Resolution (lock-free) --------------------------------------------------- */

u64 gdl_identity_gen;

/*
 * gdl_walk - nearest bound cgroup from @cg up, else @uid's binding, else 0
 *
 * The walk goes up to the real root whatever the task's cgroup namespace:
 * bindings name cgroups, not views of them.  Each level costs one xarray
 * lookup; the counts skip a table that is empty.  Under rcu_read_lock().
 */
static u64 gdl_walk(struct cgroup *cg, u32 uid)
{
	struct gdl_binding *b;

	if (READ_ONCE(gdl_ncgroups)) {
		for (; cg; cg = cgroup_parent(cg)) {
			b = xa_load(&gdl_cgroup_bindings, cgroup_id(cg));
			if (b)
				return READ_ONCE(b->agent);
		}
	}
	if (READ_ONCE(gdl_nuids)) {
		b = xa_load(&gdl_uid_bindings, uid);
		if (b)
			return READ_ONCE(b->agent);
	}
	return 0;
}

/*
 * __gdl_identity_resolve - the slow path of gdl_identity_resolve(): walk
 * the tables, and remember the answer in @c
 *
 * Why the cached answer can never be stale: the generation is read with
 * acquire order before the tables, and writers bump it with release order
 * after changing them (gdl_bindings_changed()).  So the walk sees at least
 * every change that the generation read counts; a change it may have
 * missed bumps the generation past the one stored, and the next request
 * misses.  The key (cgroup id, uid) and the walk's starting cgroup come
 * from the same read of the task's css_set, so a task migrated meanwhile
 * stores its old cgroup's answer under its old cgroup's id, which its next
 * request no longer matches.
 */
u64 __gdl_identity_resolve(struct gdl_ident_cache *c)
{
	struct cgroup *cg;
	unsigned long seq;
	u64 gen, cgid, agent;
	u32 uid;

	rcu_read_lock();
	gen = smp_load_acquire(&gdl_identity_gen);
	cg = task_dfl_cgroup(current);
	cgid = cgroup_id(cg);
	uid = __kuid_val(current_uid());
	agent = gdl_walk(cg, uid);
	rcu_read_unlock();

	/*
	 * Claim the record (odd) or leave it to whoever holds it: the cmpxchg
	 * is a full barrier, so @seq is odd before any field changes; the
	 * release makes every field visible before @seq is even again.
	 */
	seq = READ_ONCE(c->seq);
	if (!(seq & 1) && try_cmpxchg(&c->seq, &seq, seq + 1)) {
		WRITE_ONCE(c->cgroup_id, cgid);
		WRITE_ONCE(c->uid, uid);
		WRITE_ONCE(c->gen, gen);
		WRITE_ONCE(c->agent, agent);
		smp_store_release(&c->seq, seq + 2);
	}
	return agent;
}

/* Bookkeeping (under gdl_ident_lock) --------------------------------------- */

/*
 * After every change to a table, before the mutex is dropped: every cached
 * resolution (struct gdl_ident_cache) stops matching.  Release: a reader
 * that reads the new generation with acquire sees the change.
 */
static void gdl_bindings_changed(void)
{
	lockdep_assert_held(&gdl_ident_lock);
	smp_store_release(&gdl_identity_gen, gdl_identity_gen + 1);
}

static void gdl_binding_update_key(void)
{
	lockdep_assert_held(&gdl_ident_lock);
	if (gdl_ncgroups || gdl_nuids)
		static_branch_enable(&gdl_identity_active);
	else
		static_branch_disable(&gdl_identity_active);
}

static struct gdl_binding *gdl_binding_new(u64 agent, const char *path)
{
	size_t len = path ? strlen(path) : 0;
	struct gdl_binding *b;

	b = gdl_zalloc(struct_size(b, path, len + 1));
	if (!b)
		return NULL;
	b->agent = agent;
	if (len)
		memcpy(b->path, path, len);
	return b;
}

/* Readers may still hold @b: free it after a grace period. */
static void gdl_binding_free(struct gdl_binding *b)
{
	gdl_env_uncount(b);
	kfree_rcu(b, rcu);
}

static void gdl_binding_erase(struct xarray *xa, unsigned long key,
			      unsigned long *count)
{
	struct gdl_binding *b = xa_erase(xa, key);

	if (b) {
		WRITE_ONCE(*count, *count - 1);
		gdl_bindings_changed();
		gdl_binding_free(b);
	}
}

/*
 * gdl_sees_all_cgroups - the caller's cgroup namespace is rooted at the real
 * root, so a cgroup id it cannot find does not exist
 */
static bool gdl_sees_all_cgroups(void)
{
	return current->nsproxy &&
	       current->nsproxy->cgroup_ns->root_cset->dfl_cgrp ==
	       &cgrp_dfl_root.cgrp;
}

/*
 * A cgroup exists until rmdir takes it offline; a removed one may still be
 * found by id for a while (dying, until its last reference goes), so the
 * online flag decides.
 */
static bool gdl_cgroup_exists(u64 id)
{
	struct cgroup *cg = cgroup_get_from_id(id);
	bool online;

	if (IS_ERR(cg))
		return PTR_ERR(cg) != -ENOENT;
	online = READ_ONCE(cg->self.flags) & CSS_ONLINE;
	cgroup_put(cg);
	return online;
}

/* Drops the bindings of removed cgroups (see the file comment). */
static void gdl_prune_removed(void)
{
	struct gdl_binding *b;
	unsigned long id;

	lockdep_assert_held(&gdl_ident_lock);
	if (!gdl_sees_all_cgroups())
		return;
	xa_for_each(&gdl_cgroup_bindings, id, b)
		if (!gdl_cgroup_exists(id))
			gdl_binding_erase(&gdl_cgroup_bindings, id,
					  &gdl_ncgroups);
}

/*
 * gdl_cgroup_resolve - a path to a cgroup id and the path from the root
 * @path: as /proc/<pid>/cgroup prints it for the caller: starts with '/'
 * @id:   out: cgroup id
 * @full: out: kmalloc'ed path from the root of the whole hierarchy
 */
static int gdl_cgroup_resolve(const char *path, u64 *id, char **full)
{
	struct cgroup *cg;
	char *buf;
	int len;

	if (path[0] != '/')
		return -EINVAL;
	cg = cgroup_get_from_path(path);
	if (IS_ERR(cg))
		return PTR_ERR(cg) == -ENOMEM ? -ENOMEM : -ENOENT;
	*id = cgroup_id(cg);
	buf = kmalloc(GDL_CGROUP_PATH_MAX, GFP_KERNEL);
	if (!buf) {
		cgroup_put(cg);
		return -ENOMEM;
	}
	len = kernfs_path_from_node(cg->kn, cgrp_dfl_root.cgrp.kn, buf,
				    GDL_CGROUP_PATH_MAX);
	cgroup_put(cg);
	if (len < 0 || len >= GDL_CGROUP_PATH_MAX) {
		kfree(buf);
		return len < 0 ? len : -ENAMETOOLONG;
	}
	*full = buf;
	return 0;
}

/* Changes ------------------------------------------------------------------ */

int gdl_identity_bind_cgroup(const char *path, u64 agent, u64 __user *id_out)
{
	struct gdl_binding *b, *old;
	char *full = NULL;
	u64 id;
	int ret;

	if (!agent)
		return -EINVAL;
	mutex_lock(&gdl_ident_lock);
	gdl_prune_removed();
	ret = gdl_cgroup_resolve(path, &id, &full);
	if (ret)
		goto out;

	old = xa_load(&gdl_cgroup_bindings, id);
	if (old) {
		/* Rebinding moves the cgroup: one store readers see whole. */
		if (id_out && put_user(id, id_out)) {
			ret = -EFAULT;
			goto out;
		}
		WRITE_ONCE(old->agent, agent);
		gdl_bindings_changed();
		goto out;
	}

	ret = -ENOMEM;
	b = gdl_binding_new(agent, full);
	if (!b)
		goto out;
	/* Reserve the slot first, so nothing can fail after the copy-out. */
	ret = xa_reserve(&gdl_cgroup_bindings, id, GFP_KERNEL);
	if (ret) {
		gdl_env_uncount(b);
		kfree(b);
		goto out;
	}
	if (id_out && put_user(id, id_out)) {
		xa_release(&gdl_cgroup_bindings, id);
		gdl_env_uncount(b);
		kfree(b);
		ret = -EFAULT;
		goto out;
	}
	xa_store(&gdl_cgroup_bindings, id, b, GFP_KERNEL);
	WRITE_ONCE(gdl_ncgroups, gdl_ncgroups + 1);
	gdl_bindings_changed();
	ret = 0;
out:
	/* Also after a failure: pruning may have dropped the last binding. */
	gdl_binding_update_key();
	mutex_unlock(&gdl_ident_lock);
	kfree(full);
	return ret;
}

/*
 * A path that no longer resolves may still name a binding whose cgroup was
 * removed: drop it (nothing can match it any more), and answer -ENOENT.
 */
static void gdl_forget_removed_path(const char *path)
{
	struct gdl_binding *b;
	unsigned long id;

	if (!gdl_sees_all_cgroups())
		return;
	xa_for_each(&gdl_cgroup_bindings, id, b)
		if (!strcmp(b->path, path) && !gdl_cgroup_exists(id))
			gdl_binding_erase(&gdl_cgroup_bindings, id,
					  &gdl_ncgroups);
}

int gdl_identity_unbind_cgroup(const char *path, u64 __user *id_out)
{
	char *full = NULL;
	u64 id;
	int ret;

	mutex_lock(&gdl_ident_lock);
	ret = gdl_cgroup_resolve(path, &id, &full);
	if (ret == -ENOENT)
		gdl_forget_removed_path(path);
	if (ret)
		goto out;
	if (!xa_load(&gdl_cgroup_bindings, id)) {
		ret = -ENOENT;
		goto out;
	}
	if (id_out && put_user(id, id_out)) {
		ret = -EFAULT;
		goto out;
	}
	gdl_binding_erase(&gdl_cgroup_bindings, id, &gdl_ncgroups);
out:
	gdl_binding_update_key();
	mutex_unlock(&gdl_ident_lock);
	kfree(full);
	return ret;
}

/* A uid of the initial user namespace; (uid_t)-1 is "no uid". */
static bool gdl_uid_valid(u32 uid)
{
	return uid_valid(KUIDT_INIT(uid));
}

int gdl_identity_bind_uid(u32 uid, u64 agent)
{
	struct gdl_binding *b, *old;
	int ret = 0;

	if (!agent || !gdl_uid_valid(uid))
		return -EINVAL;
	mutex_lock(&gdl_ident_lock);
	old = xa_load(&gdl_uid_bindings, uid);
	if (old) {
		WRITE_ONCE(old->agent, agent);
		gdl_bindings_changed();
		goto out;
	}
	b = gdl_binding_new(agent, NULL);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	ret = xa_err(xa_store(&gdl_uid_bindings, uid, b, GFP_KERNEL));
	if (ret) {
		gdl_env_uncount(b);
		kfree(b);
		goto out;
	}
	WRITE_ONCE(gdl_nuids, gdl_nuids + 1);
	gdl_bindings_changed();
	gdl_binding_update_key();
out:
	mutex_unlock(&gdl_ident_lock);
	return ret;
}

int gdl_identity_unbind_uid(u32 uid)
{
	int ret = 0;

	if (!gdl_uid_valid(uid))
		return -EINVAL;
	mutex_lock(&gdl_ident_lock);
	if (xa_load(&gdl_uid_bindings, uid)) {
		gdl_binding_erase(&gdl_uid_bindings, uid, &gdl_nuids);
		gdl_binding_update_key();
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&gdl_ident_lock);
	return ret;
}

static void gdl_forget_in(struct xarray *xa, unsigned long *count, u64 agent)
{
	struct gdl_binding *b;
	unsigned long key;

	xa_for_each(xa, key, b)
		if (READ_ONCE(b->agent) == agent)
			gdl_binding_erase(xa, key, count);
}

void gdl_identity_forget_agent(u64 agent)
{
	mutex_lock(&gdl_ident_lock);
	gdl_forget_in(&gdl_cgroup_bindings, &gdl_ncgroups, agent);
	gdl_forget_in(&gdl_uid_bindings, &gdl_nuids, agent);
	gdl_binding_update_key();
	mutex_unlock(&gdl_ident_lock);
}

/*
 * Unload: the device and /proc are gone, so no reader or writer is left;
 * kfree_rcu() needs nothing of the module, and gdl_core_destroy()'s
 * rcu_barrier() waits for the frees before the leak count is read.
 */
void gdl_identity_exit(void)
{
	struct gdl_binding *b;
	unsigned long key;

	mutex_lock(&gdl_ident_lock);
	xa_for_each(&gdl_cgroup_bindings, key, b)
		gdl_binding_erase(&gdl_cgroup_bindings, key, &gdl_ncgroups);
	xa_for_each(&gdl_uid_bindings, key, b)
		gdl_binding_erase(&gdl_uid_bindings, key, &gdl_nuids);
	xa_destroy(&gdl_cgroup_bindings);
	xa_destroy(&gdl_uid_bindings);
	gdl_binding_update_key();
	mutex_unlock(&gdl_ident_lock);
}

/* /proc/swarm/gpu/bindings ------------------------------------------------- */

/*
 * One line per binding, cgroups (by id) then uids (by uid):
 *
 *   # kind target cgroup_id agent
 *   cgroup /kubepods.slice/pod1 4242 42
 *   uid 1001 0 7
 *
 * A path's blanks, backslashes and control characters are octal-escaped
 * (\040), so every line has exactly four fields.  The listing holds
 * gdl_ident_lock from start to stop: it is root's, small, and never on a
 * request's path.
 */

/* Position @pos >= 1 counts cgroup bindings first, then uid bindings. */
static struct gdl_binding *gdl_bindings_at(loff_t pos, bool *is_uid,
					   unsigned long *key)
{
	struct gdl_binding *b;
	loff_t n = 0;

	*is_uid = false;
	xa_for_each(&gdl_cgroup_bindings, *key, b)
		if (++n == pos)
			return b;
	*is_uid = true;
	xa_for_each(&gdl_uid_bindings, *key, b)
		if (++n == pos)
			return b;
	return NULL;
}

struct gdl_bindings_pos {
	bool is_uid;
	unsigned long key;
};

static void *gdl_bindings_start(struct seq_file *m, loff_t *pos)
{
	struct gdl_bindings_pos *p = m->private;

	mutex_lock(&gdl_ident_lock);
	if (!*pos)
		return SEQ_START_TOKEN;
	return gdl_bindings_at(*pos, &p->is_uid, &p->key);
}

static void *gdl_bindings_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct gdl_bindings_pos *p = m->private;
	struct gdl_binding *b;

	++*pos;
	if (v == SEQ_START_TOKEN)
		return gdl_bindings_at(*pos, &p->is_uid, &p->key);
	/* The next entry after the current key, in this table or the next. */
	if (!p->is_uid) {
		b = xa_find_after(&gdl_cgroup_bindings, &p->key, ULONG_MAX,
				  XA_PRESENT);
		if (b)
			return b;
		p->is_uid = true;
		p->key = 0;
		return xa_find(&gdl_uid_bindings, &p->key, ULONG_MAX,
			       XA_PRESENT);
	}
	return xa_find_after(&gdl_uid_bindings, &p->key, ULONG_MAX,
			     XA_PRESENT);
}

static void gdl_bindings_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&gdl_ident_lock);
}

static int gdl_bindings_show(struct seq_file *m, void *v)
{
	struct gdl_bindings_pos *p = m->private;
	struct gdl_binding *b = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "# kind target cgroup_id agent\n");
		return 0;
	}
	if (p->is_uid) {
		seq_printf(m, "uid %lu 0 %llu\n", p->key, b->agent);
		return 0;
	}
	seq_puts(m, "cgroup ");
	seq_escape(m, b->path, " \t\n\\");
	seq_printf(m, " %lu %llu\n", p->key, b->agent);
	return 0;
}

static const struct seq_operations gdl_bindings_seq_ops = {
	.start	= gdl_bindings_start,
	.next	= gdl_bindings_next,
	.stop	= gdl_bindings_stop,
	.show	= gdl_bindings_show,
};

/*
 * The file is 0400; CAP_SYS_ADMIN is checked at open as well, because a
 * listing of who is which agent is an operator's business.  Opening also
 * drops the bindings of removed cgroups, so what is listed can match.
 */
static int gdl_bindings_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&gdl_ident_lock);
	gdl_prune_removed();
	gdl_binding_update_key();
	mutex_unlock(&gdl_ident_lock);
	return seq_open_private(file, &gdl_bindings_seq_ops,
				sizeof(struct gdl_bindings_pos));
}

const struct proc_ops gdl_bindings_ops = {
	.proc_open	= gdl_bindings_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= seq_release_private,
};
