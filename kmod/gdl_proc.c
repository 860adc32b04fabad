// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_proc.c - the operator interface, /proc/swarm/gpu/
 *
 *   stats            0444  "name value" lines (struct gdl_stats + extras)
 *   devices          0444  one line per device
 *   quotas           0400  one line per agent            (gdl_proc_list.c)
 *   agents           0400  the same, the prototype's way (gdl_proc_list.c)
 *   allocations      0400  one line per live allocation  (gdl_proc_list.c)
 *   contexts         0400  one line per open file        (gdl_proc_list.c)
 *   dma_permissions  0600  one line per granted range; root writes
 *                          AGENT:ADDR:MODE               (gdl_control.c)
 *   control          0200  root writes commands          (gdl_control.c)
 *   bindings         0400  cgroup and uid bindings       (gdl_identity.c)
 *
 * File modes keep unprivileged users out at open, and the listings check
 * CAP_SYS_ADMIN at open too; the writers check it at write time, because
 * an open file can be handed on.
 * docs/proc.md is the reference for every format.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/stddef.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gdl_identity.h"
#include "gdl_trace_sample.h"
#include "gdl_module.h"

static struct proc_dir_entry *gdl_proc_swarm;

/* stats ------------------------------------------------------------------- */

/*
 * The "name value" lines of struct gdl_stats, in the file's order.  A line
 * is its name and separator (one copy of known length), the number
 * (seq_put_decimal_ull) and a newline: no format string is parsed and no
 * name measured, so a pread at offset 0, which regenerates the whole file,
 * costs under half of what one seq_printf() per line did.
 */
#define GDL_STAT_LINE(field) \
	{ #field " ", sizeof(#field), offsetof(struct gdl_stats, field) }
static const struct {
	const char *name;	/* with its separator */
	size_t len;		/* of @name */
	size_t offset;		/* of the value in struct gdl_stats */
} gdl_stats_lines[] = {
	GDL_STAT_LINE(allocs),
	GDL_STAT_LINE(alloc_failures),
	GDL_STAT_LINE(frees),
	GDL_STAT_LINE(bytes_allocated),
	GDL_STAT_LINE(bytes_freed),
	GDL_STAT_LINE(checks),
	GDL_STAT_LINE(checks_denied),
	GDL_STAT_LINE(quota_violations),
	GDL_STAT_LINE(grants),
	GDL_STAT_LINE(revokes),
	GDL_STAT_LINE(agents),
	GDL_STAT_LINE(live_allocations),
	GDL_STAT_LINE(used_bytes),
	GDL_STAT_LINE(capacity_bytes),
};
#undef GDL_STAT_LINE

/* One line; @name_sp is a literal, so its length is a constant. */
#define gdl_stats_line(m, name_sp, v) \
	gdl_stats_put(m, name_sp, sizeof(name_sp) - 1, v)

static void gdl_stats_put(struct seq_file *m, const char *name_sp,
			  size_t len, u64 v)
{
	seq_write(m, name_sp, len);
	seq_put_decimal_ull(m, "", v);
	seq_putc(m, '\n');
}

static int gdl_stats_show(struct seq_file *m, void *v)
{
	struct gdl_stats st;
	unsigned int i;

	gdl_stats_read(gdl.core, &st);
	for (i = 0; i < ARRAY_SIZE(gdl_stats_lines); i++)
		gdl_stats_put(m, gdl_stats_lines[i].name,
			      gdl_stats_lines[i].len,
			      *(const u64 *)((const char *)&st +
					     gdl_stats_lines[i].offset));
	/* Extras: what the ioctl struct does not carry. */
	gdl_stats_line(m, "devices ", gdl.num_devices);
	gdl_stats_line(m, "max_agents ", gdl.max_agents);
	gdl_stats_line(m, "default_quota ", gdl.default_quota);
	gdl_stats_line(m, "max_agent_allocs ", gdl.max_agent_allocs);
	gdl_stats_line(m, "trace_check_every ", READ_ONCE(gdl_trace_check_every));
	gdl_stats_line(m, "checks_untraced ", gdl_checks_untraced_sum());
	/* Signed: a negative count would be a bug, and must show as one. */
	seq_write(m, "kernel_objects ", sizeof("kernel_objects ") - 1);
	seq_put_decimal_ll(m, "", atomic_long_read(&gdl_env_live_objects));
	seq_putc(m, '\n');
	return 0;
}

DEFINE_PROC_SHOW_ATTRIBUTE(gdl_stats);

/* devices ----------------------------------------------------------------- */

static const char *gdl_kind_name(u32 kind)
{
	switch (kind) {
	case GDL_DEVICE_PCI:
		return "pci";
	case GDL_DEVICE_FAKE:
		return "fake";
	default:
		return "unknown";
	}
}

static int gdl_devices_show(struct seq_file *m, void *v)
{
	struct gdl_device_info di;
	u32 i;

	seq_puts(m, "# index name kind capacity used pci_domain pci_bdf pci_id\n");
	for (i = 0; i < gdl.num_devices; i++) {
		if (gdl_core_device_info(gdl.core, i, &di) < 0)
			continue;
		di.name[sizeof(di.name) - 1] = '\0';
		seq_printf(m, "%u %s %s %llu %llu 0x%x 0x%x 0x%x\n", i,
			   di.name, gdl_kind_name(di.kind), di.capacity,
			   di.used, di.pci_domain, di.pci_bdf, di.pci_id);
	}
	return 0;
}

DEFINE_PROC_SHOW_ATTRIBUTE(gdl_devices);

/* Writers ----------------------------------------------------------------- */

/*
 * gdl_write_line - one write, one command: copy it in whole and run it
 *
 * The whole write is the line: it must fit GDL_CONTROL_LINE_MAX and hold no
 * NUL, so nothing is ever silently cut off.
 */
static ssize_t gdl_write_line(const char __user *ubuf, size_t count,
			      int (*run)(char *line))
{
	char *line;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!count || count > GDL_CONTROL_LINE_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	ret = strlen(line) == count ? run(line) : -EINVAL;
	kfree(line);
	return ret ? ret : count;
}

static ssize_t gdl_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	return gdl_write_line(ubuf, count, gdl_control_run);
}

static const struct proc_ops gdl_control_ops = {
	.proc_write	= gdl_control_write,
	.proc_lseek	= noop_llseek,
};

static ssize_t gdl_grants_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return gdl_write_line(ubuf, count, gdl_dma_permission_run);
}

static const struct proc_ops gdl_grants_ops = {
	.proc_open	= gdl_list_open,
	.proc_read	= seq_read,
	.proc_write	= gdl_grants_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= seq_release_private,
};

/* Registration ------------------------------------------------------------ */

/* @data: what the file's open finds in pde_data() (a listing's kind). */
static const struct {
	const char *name;
	umode_t mode;
	const struct proc_ops *ops;
	const void *data;
} gdl_proc_files[] = {
	{ "stats",		0444, &gdl_stats_proc_ops },
	{ "devices",		0444, &gdl_devices_proc_ops },
	{ "quotas",		0400, &gdl_list_ops, &gdl_quotas_kind },
	{ "agents",		0400, &gdl_list_ops, &gdl_agents_kind },
	{ "allocations",	0400, &gdl_list_ops, &gdl_allocations_kind },
	{ "contexts",		0400, &gdl_list_ops, &gdl_contexts_kind },
	{ "dma_permissions",	0600, &gdl_grants_ops, &gdl_grants_kind },
	{ "control",		0200, &gdl_control_ops },
	{ "bindings",		0400, &gdl_bindings_ops },
};

/**
 * gdl_proc_init() - create /proc/swarm/gpu/ and its files
 *
 * Return: 0, -EEXIST if /proc/swarm exists already (another module owns
 * it), or -ENOMEM.
 */
int gdl_proc_init(void)
{
	struct proc_dir_entry *dir;
	unsigned int i;

	gdl_proc_swarm = proc_mkdir("swarm", NULL);
	if (!gdl_proc_swarm) {
		pr_err("cannot create /proc/swarm\n");
		return -EEXIST;
	}
	dir = proc_mkdir("gpu", gdl_proc_swarm);
	if (!dir)
		goto err;
	for (i = 0; i < ARRAY_SIZE(gdl_proc_files); i++)
		if (!proc_create_data(gdl_proc_files[i].name,
				      gdl_proc_files[i].mode, dir,
				      gdl_proc_files[i].ops,
				      (void *)gdl_proc_files[i].data))
			goto err;
	return 0;

err:
	pr_err("cannot create /proc/swarm/gpu\n");
	proc_remove(gdl_proc_swarm);
	gdl_proc_swarm = NULL;
	return -ENOMEM;
}

/*
 * gdl_proc_exit() - remove /proc/swarm and everything under it
 *
 * proc_remove() waits for every reader and writer inside our handlers and
 * releases files still open, so no handler runs after it returns.
 */
void gdl_proc_exit(void)
{
	proc_remove(gdl_proc_swarm);
	gdl_proc_swarm = NULL;
}
