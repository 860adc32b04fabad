// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_proc_list.c - /proc/swarm/gpu/ listings of the core's tables
 *
 * quotas, allocations, dma_permissions and contexts can hold hundreds of
 * thousands of records, so they are seq_files that pull records from the
 * core's cursor listings in batches: the core holds its locks only while it
 * copies one batch, never while seq_file formats or userspace reads, and a
 * listing of any size comes out complete (a walk over an unchanging table
 * returns every record exactly once).
 *
 * Each file is a header line "# field field ..." and then one record per
 * line, fields separated by single spaces, numbers in decimal except
 * addresses, masks and flags in 0x hex.  No kernel pointer is ever printed.
 *
 * Positions: 0 is the header, n >= 1 is the n-th record.  The iterator keeps
 * the batch holding the current position; seq_file asks again for the same
 * or the next position after each read(), which costs nothing, and a seek
 * backwards, or any read from offset 0, restarts the walk from the
 * beginning (a fresh read never serves a batch cached by an earlier one).
 *
 * Access: these listings show every agent's quota and use, every granted
 * range and the pid and comm of every opener, which GET_AGENT refuses an
 * unprivileged caller; so they are root-only (mode 0400, and CAP_SYS_ADMIN
 * at open, which also keeps out a root without it, e.g. in a container).
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "gdl_module.h"

#define GDL_LIST_BATCH	64

/**
 * struct gdl_list_kind - one listing
 * @header:   the header line, newline included
 * @rec_size: bytes of one record in the batch buffer
 * @fetch:    the core's listing call (at most @max records after @cur)
 * @show:     writes one record's line
 */
struct gdl_list_kind {
	const char *header;
	size_t rec_size;
	int (*fetch)(struct gdl_cursor *cur, void *buf, u32 max);
	void (*show)(struct seq_file *m, const void *rec);
};

/**
 * struct gdl_list_iter - per open file of a listing
 * @kind: which listing
 * @cur:  the core's cursor, just after the last record in @buf
 * @base: position of the first record in @buf
 * @n:    records in @buf
 * @end:  the core has nothing after @buf
 * @buf:  one batch, of whichever record type @kind lists
 */
struct gdl_list_iter {
	const struct gdl_list_kind *kind;
	struct gdl_cursor cur;
	loff_t base;
	u32 n;
	bool end;
	union {
		struct gdl_agent_view agents[GDL_LIST_BATCH];
		struct gdl_alloc_view allocs[GDL_LIST_BATCH];
		struct gdl_grant_view grants[GDL_LIST_BATCH];
		struct gdl_owner_view owners[GDL_LIST_BATCH];
	} buf;
};

static void gdl_list_rewind(struct gdl_list_iter *it)
{
	memset(&it->cur, 0, sizeof(it->cur));
	it->base = 1;
	it->n = 0;
	it->end = false;
}

/* The record at position @pos (>= 1), fetching batches up to it; or NULL. */
static void *gdl_list_seek(struct gdl_list_iter *it, loff_t pos)
{
	int got;

	if (pos < it->base)
		gdl_list_rewind(it);
	while (pos >= it->base + it->n) {
		if (it->end)
			return NULL;
		it->base += it->n;
		got = it->kind->fetch(&it->cur, &it->buf, GDL_LIST_BATCH);
		if (got <= 0) {
			it->n = 0;
			it->end = true;
			return NULL;
		}
		it->n = got;
	}
	return (char *)&it->buf + (pos - it->base) * it->kind->rec_size;
}

static void *gdl_list_start(struct seq_file *m, loff_t *pos)
{
	if (!*pos) {
		/* A new read from the top: nothing cached may be served. */
		gdl_list_rewind(m->private);
		return SEQ_START_TOKEN;
	}
	return gdl_list_seek(m->private, *pos);
}

static void *gdl_list_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return gdl_list_seek(m->private, *pos);
}

static void gdl_list_stop(struct seq_file *m, void *v)
{
}

static int gdl_list_show(struct seq_file *m, void *v)
{
	struct gdl_list_iter *it = m->private;

	if (v == SEQ_START_TOKEN)
		seq_puts(m, it->kind->header);
	else
		it->kind->show(m, v);
	return 0;
}

static const struct seq_operations gdl_list_seq_ops = {
	.start	= gdl_list_start,
	.next	= gdl_list_next,
	.stop	= gdl_list_stop,
	.show	= gdl_list_show,
};

/* The listing is the proc entry's data (gdl_proc.c's table). */
int gdl_list_open(struct inode *inode, struct file *file)
{
	struct gdl_list_iter *it;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	it = __seq_open_private(file, &gdl_list_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->kind = pde_data(inode);
	gdl_list_rewind(it);
	return 0;
}

const struct proc_ops gdl_list_ops = {
	.proc_open	= gdl_list_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= seq_release_private,
};

/* quotas ------------------------------------------------------------------ */

static int gdl_fetch_agents(struct gdl_cursor *cur, void *buf, u32 max)
{
	return gdl_list_agents(gdl.core, cur, buf, max);
}

static void gdl_show_agent(struct seq_file *m, const void *rec)
{
	const struct gdl_agent_view *a = rec;

	seq_printf(m, "%llu %llu %llu 0x%llx %llu %llu\n", a->agent_id,
		   a->quota, a->used, a->device_mask, a->allocations,
		   a->grants);
}

const struct gdl_list_kind gdl_quotas_kind = {
	.header = "# agent quota used device_mask allocations grants\n",
	.rec_size = sizeof(struct gdl_agent_view),
	.fetch = gdl_fetch_agents,
	.show = gdl_show_agent,
};

/* agents: the prototype's listing ----------------------------------------- */

/* The devices of a mask as the prototype wrote them: "0,2", or "-". */
static void gdl_show_agent_line(struct seq_file *m, const void *rec)
{
	const struct gdl_agent_view *a = rec;
	u64 mask = a->device_mask;
	bool first = true;
	u32 d;

	seq_printf(m, "%llu %llu %llu ", a->agent_id, a->quota, a->used);
	for (d = 0; d < 64; d++) {
		if (!((mask >> d) & 1))
			continue;
		seq_printf(m, first ? "%u" : ",%u", d);
		first = false;
	}
	seq_printf(m, "%s %llu %llu\n", first ? "-" : "", a->allocations,
		   a->grants);
}

const struct gdl_list_kind gdl_agents_kind = {
	.header = "# agent quota used devices allocations grants\n",
	.rec_size = sizeof(struct gdl_agent_view),
	.fetch = gdl_fetch_agents,
	.show = gdl_show_agent_line,
};

/* allocations ------------------------------------------------------------- */

static int gdl_fetch_allocs(struct gdl_cursor *cur, void *buf, u32 max)
{
	return gdl_list_allocs(gdl.core, 0, cur, buf, max);
}

static void gdl_show_alloc(struct seq_file *m, const void *rec)
{
	const struct gdl_alloc_view *a = rec;

	seq_printf(m, "%llu %llu %u %llu 0x%x %u\n", a->alloc_id,
		   a->agent_id, a->device, a->size, a->flags, a->owner_pid);
}

const struct gdl_list_kind gdl_allocations_kind = {
	.header = "# alloc_id agent device size flags owner_pid\n",
	.rec_size = sizeof(struct gdl_alloc_view),
	.fetch = gdl_fetch_allocs,
	.show = gdl_show_alloc,
};

/* dma_permissions --------------------------------------------------------- */

static int gdl_fetch_grants(struct gdl_cursor *cur, void *buf, u32 max)
{
	return gdl_list_grants(gdl.core, 0, cur, buf, max);
}

/* end is the last byte, inclusive, so a range reaching 2^64 - 1 prints. */
static void gdl_show_grant(struct seq_file *m, const void *rec)
{
	const struct gdl_grant_view *g = rec;

	seq_printf(m, "%llu %u 0x%llx 0x%llx %llu %s\n", g->agent_id,
		   g->device, g->start, g->start + (g->length - 1), g->length,
		   gdl_mode_name(g->mode));
}

const struct gdl_list_kind gdl_grants_kind = {
	.header = "# agent device start end length mode\n",
	.rec_size = sizeof(struct gdl_grant_view),
	.fetch = gdl_fetch_grants,
	.show = gdl_show_grant,
};

/* contexts ---------------------------------------------------------------- */

static int gdl_fetch_owners(struct gdl_cursor *cur, void *buf, u32 max)
{
	return gdl_list_owners(gdl.core, cur, buf, max);
}

/* A comm may hold blanks or worse; the listing's fields may not. */
static void gdl_show_owner(struct seq_file *m, const void *rec)
{
	const struct gdl_owner_view *o = rec;
	char comm[sizeof(o->comm)];
	size_t i;

	for (i = 0; i < sizeof(comm) - 1 && o->comm[i]; i++)
		comm[i] = isgraph(o->comm[i]) ? o->comm[i] : '_';
	comm[i] = '\0';

	seq_printf(m, "%u %s %llu %llu %llu\n", o->pid, i ? comm : "-",
		   o->bound_agent, o->nallocs, o->bytes);
}

const struct gdl_list_kind gdl_contexts_kind = {
	.header = "# pid comm bound_agent allocations bytes\n",
	.rec_size = sizeof(struct gdl_owner_view),
	.fetch = gdl_fetch_owners,
	.show = gdl_show_owner,
};
