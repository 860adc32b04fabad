// SPDX-License-Identifier: GPL-2.0
/*
 * proc_parsers.c - libFuzzer target fuzz_proc_parsers: the /proc/swarm/gpu
 * write parsers (gdl_control_run for control, gdl_dma_permission_run for
 * dma_permissions) against a reference reading of their grammar
 *
 * kmod/gdl_control.c is included whole, over shim/ (kernel headers
 * reduced to what it uses), so the module's own parsing code runs here
 * against a real core (the userspace build).  Each input is a set-up byte
 * then lines separated by NUL bytes (a line is what the /proc write hands
 * the parser: a C string of at most GDL_CONTROL_LINE_MAX bytes); a line
 * starting with byte 0x01 goes to dma_permissions, any other to control.
 *
 * The oracle below is written from the grammar in gdl_control.c's header
 * comment, not from its code: one trailing newline, printable bytes or
 * tabs, blank-separated tokens, exact token counts, numbers decimal or
 * 0x-hex that fit their field, modes r/w/rw.  The identity bindings'
 * calls (gdl_identity.c, kernel code) are recorded by stubs here and
 * must be exactly the calls the oracle expects.  It refuses what the grammar
 * refuses (-EINVAL) and otherwise makes the same core calls on a twin
 * core.  After each line both answers, both cores' stats and agents, and
 * at the end their whole observable state (test/native/helpers.c
 * snapshots) must be equal: a refused line changed nothing, an accepted
 * one did exactly what it says.
 *
 * Command words the oracle does not know but another branch adds
 * (release_agent, issue 10) are tolerated: refused, they must change
 * nothing; accepted, the input ends there (the twin cannot follow).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../kmod/gdl_control.c"
#include "helpers.h"

struct gdl_module gdl;

/*
 * gdl_identity.c is kernel code (cgroups, uids): the parser's calls into it
 * are recorded instead, and the oracle predicts the same record.
 */
enum { ID_BIND_CG = 1, ID_UNBIND_CG, ID_BIND_UID, ID_UNBIND_UID, ID_FORGET };

struct id_call {
	int kind;
	char path[GDL_CONTROL_LINE_MAX];
	u64 agent;
	u32 uid;
};

struct id_log {
	int n;
	struct id_call c[4];
};

static struct id_log id_got;

static int id_record(struct id_log *l, int kind, const char *path, u64 agent,
		     u32 uid)
{
	struct id_call *c;

	if (l->n == (int)ARRAY_SIZE(l->c))
		abort();
	c = &l->c[l->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (path)
		snprintf(c->path, sizeof(c->path), "%s", path);
	c->agent = agent;
	c->uid = uid;
	return 0;
}

int gdl_identity_bind_cgroup(const char *path, u64 agent, u64 __user *id_out)
{
	return id_record(&id_got, ID_BIND_CG, path, agent, 0);
}

int gdl_identity_unbind_cgroup(const char *path, u64 __user *id_out)
{
	return id_record(&id_got, ID_UNBIND_CG, path, 0, 0);
}

int gdl_identity_bind_uid(u32 uid, u64 agent)
{
	return id_record(&id_got, ID_BIND_UID, NULL, agent, uid);
}

int gdl_identity_unbind_uid(u32 uid)
{
	return id_record(&id_got, ID_UNBIND_UID, NULL, 0, uid);
}

void gdl_identity_forget_agent(u64 agent)
{
	id_record(&id_got, ID_FORGET, NULL, agent, 0);
}

#define FAIL(...) do {							\
	fprintf(stderr, "fuzz_proc_parsers: line %d: ", lineno);	\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)

static int lineno;

/* The reference grammar ------------------------------------------------- */

#define REF_MAX_TOK	8

struct ref_line {
	char buf[GDL_CONTROL_LINE_MAX];
	char *tok[REF_MAX_TOK];
	int n;
};

/* One trailing newline off; then printable (kernel Latin-1) or tab only. */
static int ref_clean(char *s)
{
	size_t len = strlen(s), i;

	if (len && s[len - 1] == '\n')
		s[--len] = 0;
	for (i = 0; i < len; i++) {
		unsigned char u = (unsigned char)s[i];

		if (u != '\t' && (u < 0x20 || u == 0x7f ||
				  (u >= 0x80 && u < 0xa0)))
			return -1;
	}
	return 0;
}

static int ref_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decimal or 0x-hex, no sign, nothing else, at most @max. */
static int ref_num(const char *s, u64 max, u64 *out)
{
	unsigned int base = 10;
	u64 v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		d = ref_hexval(*s);
		if (d < 0 || (unsigned int)d >= base)
			return -1;
		if (v > (max - (u64)d) / base)
			return -1;
		v = v * base + (u64)d;
	}
	*out = v;
	return 0;
}

static int ref_mode(const char *s, u32 *mode)
{
	if (!strcmp(s, "r"))
		*mode = GDL_DMA_READ;
	else if (!strcmp(s, "w"))
		*mode = GDL_DMA_WRITE;
	else if (!strcmp(s, "rw"))
		*mode = GDL_DMA_READ | GDL_DMA_WRITE;
	else
		return -1;
	return 0;
}

/* Numbers of @l's tokens from @first, as u64 (u32 where @u32mask bit). */
static int ref_nums(const struct ref_line *l, int first, int count,
		    unsigned int u32mask, u64 *v)
{
	int i;

	for (i = 0; i < count; i++)
		if (ref_num(l->tok[first + i],
			    (u32mask >> i) & 1 ? U32_MAX : ~0ull, &v[i]))
			return -1;
	return 0;
}

/*
 * The control language on the twin core @c, identity calls into @ids.
 * *@unknown is set for words the oracle tolerates without modelling.
 */
static int ref_control(struct gdl_core *c, const char *line, int *unknown,
		       struct id_log *ids)
{
	static const char *const tolerated[] = { "release_agent" };
	struct ref_line l;
	char *p, *w;
	u64 v[5];
	u32 mode;
	int argc;
	size_t i;

	snprintf(l.buf, sizeof(l.buf), "%s", line);
	if (ref_clean(l.buf))
		return -EINVAL;
	l.n = 0;
	for (p = l.buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		if (l.n == REF_MAX_TOK)
			return -EINVAL;
		l.tok[l.n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (!l.n)
		return -EINVAL;
	w = l.tok[0];
	argc = l.n - 1;

	if (!strcmp(w, "reset_stats") && argc == 0) {
		gdl_stats_reset(c);
		return 0;
	}
	if (!strcmp(w, "set_quota") && (argc == 2 || argc == 3)) {
		struct gdl_agent_info ai;
		int ret;

		if (ref_nums(&l, 1, argc, 0, v))
			return -EINVAL;
		if (argc == 3)
			return gdl_agent_set(c, v[0], v[1], v[2]);
		ret = gdl_agent_get(c, v[0], &ai);
		return gdl_agent_set(c, v[0], v[1],
				     ret ? gdl.all_devices : ai.device_mask);
	}
	if (!strcmp(w, "set_agent") && argc == 3)
		return ref_nums(&l, 1, 3, 0, v) ? -EINVAL :
		       gdl_agent_set(c, v[0], v[1], v[2]);
	if (!strcmp(w, "remove_agent") && argc == 1) {
		int ret;

		if (ref_nums(&l, 1, 1, 0, v) || !v[0])
			return -EINVAL;
		ret = gdl_agent_remove(c, v[0]);
		if (!ret)
			id_record(ids, ID_FORGET, NULL, v[0], 0);
		return ret;
	}
	/* Bindings: PATH is any token; agent 0 is refused here. */
	if (!strcmp(w, "bind_cgroup") && argc == 2)
		return ref_nums(&l, 2, 1, 0, v) || !v[0] ? -EINVAL :
		       id_record(ids, ID_BIND_CG, l.tok[1], v[0], 0);
	if (!strcmp(w, "unbind_cgroup") && argc == 1)
		return id_record(ids, ID_UNBIND_CG, l.tok[1], 0, 0);
	if (!strcmp(w, "bind_uid") && argc == 2)
		return ref_nums(&l, 1, 2, 1, v) || !v[1] ? -EINVAL :
		       id_record(ids, ID_BIND_UID, NULL, v[1], (u32)v[0]);
	if (!strcmp(w, "unbind_uid") && argc == 1)
		return ref_nums(&l, 1, 1, 1, v) ? -EINVAL :
		       id_record(ids, ID_UNBIND_UID, NULL, 0, (u32)v[0]);
	if (!strcmp(w, "allocate") && (argc == 0 || argc == 3)) {
		u64 id;

		v[0] = 1;
		v[1] = 4096;
		v[2] = 0;
		/* Agent 0 or 0 bytes: malformed, as for GDL_IOC_ALLOC. */
		if ((argc == 3 && ref_nums(&l, 1, 3, 4, v)) || !v[0] || !v[1])
			return -EINVAL;
		return gdl_alloc(c, NULL, v[0], v[1], (u32)v[2],
				 GDL_ALLOC_PERSISTENT, &id);
	}
	if (!strcmp(w, "free") && argc == 1)
		return ref_nums(&l, 1, 1, 0, v) ? -EINVAL :
		       gdl_free(c, v[0], 0);
	if ((!strcmp(w, "grant") || !strcmp(w, "revoke")) && argc == 5) {
		if (ref_nums(&l, 1, 4, 2, v) || ref_mode(l.tok[5], &mode) || !v[0])
			return -EINVAL;
		return w[0] == 'g' ?
		       gdl_grant(c, v[0], (u32)v[1], v[2], v[3], mode) :
		       gdl_revoke(c, v[0], (u32)v[1], v[2], v[3], mode);
	}
	for (i = 0; i < ARRAY_SIZE(tolerated); i++)
		if (!strcmp(w, tolerated[i]))
			*unknown = 1;
	return -EINVAL;
}

/* AGENT:ADDR:MODE, one page of device 0, the agent made if unknown. */
static int ref_dma_permission(struct gdl_core *c, const char *line)
{
	char buf[GDL_CONTROL_LINE_MAX], *f[3], *p;
	struct gdl_agent_info ai;
	u64 agent, addr;
	u32 mode;
	int n = 0, ret;

	snprintf(buf, sizeof(buf), "%s", line);
	if (ref_clean(buf))
		return -EINVAL;
	f[n++] = buf;
	for (p = buf; *p; p++) {
		if (*p != ':')
			continue;
		if (n == 3)
			return -EINVAL;
		*p = 0;
		f[n++] = p + 1;
	}
	if (n != 3 || ref_num(f[0], ~0ull, &agent) ||
	    ref_num(f[1], ~0ull, &addr) || ref_mode(f[2], &mode) || !agent)
		return -EINVAL;
	/* A page past 2^64 is malformed before any agent is made or found. */
	if (addr > ~0ull - 4096)
		return -EINVAL;
	ret = gdl_agent_get(c, agent, &ai);
	if (ret != -ENOENT)
		return ret ? ret : gdl_grant(c, agent, 0, addr, 4096, mode);
	ret = gdl_agent_set(c, agent, gdl.default_quota, gdl.all_devices);
	if (ret)
		return ret;
	ret = gdl_grant(c, agent, 0, addr, 4096, mode);
	if (ret)
		gdl_agent_remove(c, agent);
	return ret;
}

/* The target -------------------------------------------------------------- */

static struct gdl_core *new_core(u64 default_quota, u32 ndev)
{
	struct gdl_core_params p = {
		.default_quota = default_quota,
		.max_agents = 4,
	};
	struct gdl_core *c = gdl_core_create(&p);
	u32 i;

	if (!c)
		abort();
	for (i = 0; i < ndev; i++) {
		struct gdl_device_desc d = { .capacity = 1 << 20,
					     .kind = GDL_DEVICE_FAKE };

		snprintf(d.name, sizeof(d.name), "fake%u", i);
		gdl_core_add_device(c, &d);
	}
	return c;
}

/* Whole observable state: listings, devices, stats (end of input). */
static void same_state(struct gdl_core *a, struct gdl_core *b)
{
	struct snap sa, sb;
	int eq;

	snap_take(a, &sa);
	snap_take(b, &sb);
	eq = snap_equal(&sa, &sb, 0);
	snap_free(&sa);
	snap_free(&sb);
	if (!eq)
		FAIL("the parser's core and the reference's differ");
}

/*
 * After each line, the cheap part: stats (counters and gauges: agents,
 * live allocations, used bytes) and every agent.  A full snapshot walks
 * the allocation table's 8192 chains, too slow for every line.
 */
static void same_gauges(struct gdl_core *a, struct gdl_core *b)
{
	struct gdl_agent_view va[8], vb[8];
	struct gdl_cursor ca = { 0 }, cb = { 0 };
	struct gdl_stats sa, sb;
	int na, nb;

	gdl_stats_read(a, &sa);
	gdl_stats_read(b, &sb);
	if (memcmp(&sa, &sb, sizeof(sa)))
		FAIL("stats differ (agents %llu/%llu, live %llu/%llu)",
		     (unsigned long long)sa.agents,
		     (unsigned long long)sb.agents,
		     (unsigned long long)sa.live_allocations,
		     (unsigned long long)sb.live_allocations);
	na = gdl_list_agents(a, &ca, va, 8);
	nb = gdl_list_agents(b, &cb, vb, 8);
	if (na != nb || (na > 0 && memcmp(va, vb, (size_t)na * sizeof(*va))))
		FAIL("agents differ");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[GDL_CONTROL_LINE_MAX], copy[GDL_CONTROL_LINE_MAX];
	static struct id_log id_want;
	struct gdl_core *twin;
	size_t pos = 1, len;
	u8 setup = size ? data[0] : 0;
	u32 ndev = 1 + setup % 3;
	int diverged = 0;

	memset(&gdl, 0, sizeof(gdl));
	gdl.default_quota = setup & 4 ? 1 << 16 : 0;
	gdl.num_devices = ndev;
	gdl.all_devices = (1ull << ndev) - 1;
	gdl.max_agents = 4;
	gdl.core = new_core(gdl.default_quota, ndev);
	twin = new_core(gdl.default_quota, ndev);

	for (lineno = 0; pos < size; lineno++) {
		const u8 *end = memchr(data + pos, 0, size - pos);
		int dma, got, want, unknown = 0;

		len = (end ? (size_t)(end - data) : size) - pos;
		dma = len && data[pos] == 1;
		if (len - (size_t)dma >= sizeof(line)) {
			pos += len + 1;
			continue;	/* the /proc write refuses it whole */
		}
		memcpy(line, data + pos + dma, len - (size_t)dma);
		line[len - (size_t)dma] = 0;
		memcpy(copy, line, sizeof(copy));
		pos += len + 1;

		memset(&id_got, 0, sizeof(id_got));
		memset(&id_want, 0, sizeof(id_want));
		got = dma ? gdl_dma_permission_run(line) :
			    gdl_control_run(line);
		want = dma ? ref_dma_permission(twin, copy) :
			     ref_control(twin, copy, &unknown, &id_want);
		if (unknown && got != -EINVAL) {
			diverged = 1;	/* a word the twin cannot model */
			break;
		}
		if (got != want)
			FAIL("%s \"%s\": parser %d, reference %d",
			     dma ? "dma_permissions" : "control", copy, got,
			     want);
		if (memcmp(&id_got, &id_want, sizeof(id_got)))
			FAIL("\"%s\": %d identity calls, reference %d, or they differ",
			     copy, id_got.n, id_want.n);
		same_gauges(gdl.core, twin);
	}
	if (!diverged)
		same_state(gdl.core, twin);
	gdl_core_destroy(twin);
	gdl_core_destroy(gdl.core);
	gdl.core = NULL;
	return 0;
}
