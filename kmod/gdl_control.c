// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_control.c - the operator's command language (/proc/swarm/gpu/control)
 *
 * One write is one command line:
 *
 *   reset_stats
 *   set_quota AGENT BYTES [MASK]
 *   set_agent AGENT QUOTA MASK
 *   remove_agent AGENT
 *   allocate [AGENT BYTES DEVICE]        (bare: allocate 1 4096 0)
 *   free ALLOC_ID
 *   release_agent AGENT                  (frees every allocation of AGENT)
 *   grant AGENT DEVICE START LENGTH MODE
 *   revoke AGENT DEVICE START LENGTH MODE
 *   bind_cgroup PATH AGENT               (PATH as /proc/<pid>/cgroup prints it)
 *   unbind_cgroup PATH
 *   bind_uid UID AGENT
 *   unbind_uid UID
 *
 * and, written to /proc/swarm/gpu/dma_permissions, the prototype's
 * AGENT:ADDR:MODE (a grant of one 4096-byte page on device 0).  Every
 * command is one core call, atomic against the ioctls running meanwhile.
 *
 * Parsing is strict because a half-understood operator command is worse
 * than a refused one: tokens are separated by blanks, one trailing newline
 * is allowed, the token count must match exactly, numbers are decimal or
 * 0x-hex (no sign, no octal, no suffix) and must fit their field, MODE is
 * r, w or rw.  Anything else is -EINVAL before anything is done.  Commands
 * run one at a time under gdl_control_lock, each as core calls that change
 * nothing when they fail, so a refused command changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "gdl_identity.h"
#include "gdl_module.h"

/* The most tokens any command has: grant AGENT DEVICE START LENGTH MODE. */
#define GDL_MAX_TOKENS	6

/* The prototype's dma_permissions write grants one page. */
#define GDL_PROTO_PAGE	4096

/*
 * Operator commands run one at a time, so that two operators' lines never
 * interleave in the debug log.  Correctness does not depend on it: each
 * command is a single core call, atomic against the ioctls too.
 */
static DEFINE_MUTEX(gdl_control_lock);

static int gdl_parse_u64(const char *s, u64 *v)
{
	unsigned int base = 10;
	const char *p;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	/* kstrtou64 would also take a sign, a "0x" in base 16, a newline. */
	for (p = s; *p; p++)
		if (base == 16 ? !isxdigit(*p) : !isdigit(*p))
			return -EINVAL;
	/* Overflow (-ERANGE) is bad input like any other. */
	return kstrtou64(s, base, v) ? -EINVAL : 0;
}

static int gdl_parse_u32(const char *s, u32 *v)
{
	u64 v64;

	if (gdl_parse_u64(s, &v64) || v64 > U32_MAX)
		return -EINVAL;
	*v = v64;
	return 0;
}

static int gdl_parse_mode(const char *s, u32 *mode)
{
	if (!strcmp(s, "r"))
		*mode = GDL_DMA_READ;
	else if (!strcmp(s, "w"))
		*mode = GDL_DMA_WRITE;
	else if (!strcmp(s, "rw"))
		*mode = GDL_DMA_RW;
	else
		return -EINVAL;
	return 0;
}

/**
 * gdl_mode_name() - how listings write a DMA mode: "r", "w" or "rw"
 * @mode: GDL_DMA_* bits
 */
const char *gdl_mode_name(u32 mode)
{
	switch (mode) {
	case GDL_DMA_READ:
		return "r";
	case GDL_DMA_WRITE:
		return "w";
	case GDL_DMA_RW:
		return "rw";
	default:
		return "-";
	}
}

/*
 * gdl_strip_newline - drop the one newline echo(1) appends; the line must
 * then be printable: no further newline, no NUL, no control character.
 */
static int gdl_strip_newline(char *line)
{
	size_t len = strlen(line);
	size_t i;

	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	for (i = 0; i < len; i++)
		if (!isprint(line[i]) && line[i] != '\t')
			return -EINVAL;
	return 0;
}

/* Splits @line in place on runs of blanks; -EINVAL past @max tokens. */
static int gdl_tokenize(char *line, char **tok, int max)
{
	int n = 0;
	char *t;

	while ((t = strsep(&line, " \t"))) {
		if (!*t)
			continue;
		if (n == max)
			return -EINVAL;
		tok[n++] = t;
	}
	return n;
}

/* Commands ---------------------------------------------------------------- */

static int gdl_cmd_reset_stats(char **arg, int n)
{
	gdl_stats_reset(gdl.core);
	return 0;
}

static int gdl_cmd_set_quota(char **arg, int n)
{
	u64 agent, bytes, mask;

	if (gdl_parse_u64(arg[0], &agent) || gdl_parse_u64(arg[1], &bytes))
		return -EINVAL;
	if (n == 3)
		return gdl_parse_u64(arg[2], &mask) ? -EINVAL :
		       gdl_agent_set(gdl.core, agent, bytes, mask);

	/* No MASK: keep an existing agent's, give a new one every device. */
	return gdl_agent_set_quota(gdl.core, agent, bytes, gdl.all_devices);
}

static int gdl_cmd_set_agent(char **arg, int n)
{
	u64 agent, quota, mask;

	if (gdl_parse_u64(arg[0], &agent) || gdl_parse_u64(arg[1], &quota) ||
	    gdl_parse_u64(arg[2], &mask))
		return -EINVAL;
	return gdl_agent_set(gdl.core, agent, quota, mask);
}

static int gdl_cmd_remove_agent(char **arg, int n)
{
	u64 agent;
	int ret;

	if (gdl_parse_u64(arg[0], &agent))
		return -EINVAL;
	if (!agent)
		return -EINVAL;
	ret = gdl_agent_remove(gdl.core, agent);
	if (!ret)
		gdl_identity_forget_agent(agent);
	return ret;
}

static int gdl_cmd_allocate(char **arg, int n)
{
	u64 agent = 1, size = 4096, id;
	u32 device = 0;
	int ret;

	/* Bare "allocate" is the prototype's smoke test. */
	if (n != 0 && n != 3)
		return -EINVAL;
	if (n == 3 && (gdl_parse_u64(arg[0], &agent) ||
		       gdl_parse_u64(arg[1], &size) ||
		       gdl_parse_u32(arg[2], &device)))
		return -EINVAL;
	/* As GDL_IOC_ALLOC: malformed, so refused before the core counts a failure. */
	if (!agent || !size)
		return -EINVAL;

	ret = gdl_alloc(gdl.core, NULL, agent, size, device,
			GDL_ALLOC_PERSISTENT, &id);
	if (ret < 0)
		return ret;
	gdl_dbg("control: allocation %llu: agent %llu, %llu bytes on device %u\n",
		id, agent, size, device);
	return 0;
}

static int gdl_cmd_free(char **arg, int n)
{
	u64 id;

	if (gdl_parse_u64(arg[0], &id))
		return -EINVAL;
	return gdl_free(gdl.core, id, 0);
}

static int gdl_cmd_release_agent(char **arg, int n)
{
	u64 agent;
	s64 ret;

	if (gdl_parse_u64(arg[0], &agent) || !agent)
		return -EINVAL;
	ret = gdl_agent_release(gdl.core, agent);
	if (ret < 0)
		return ret;
	gdl_dbg("control: released %lld allocations of agent %llu\n", ret,
		agent);
	return 0;
}

/* grant and revoke: AGENT DEVICE ADDR LENGTH MODE */
static int gdl_cmd_range(char **arg, bool grant)
{
	u64 agent, addr, length;
	u32 device, mode;

	if (gdl_parse_u64(arg[0], &agent) || gdl_parse_u32(arg[1], &device) ||
	    gdl_parse_u64(arg[2], &addr) || gdl_parse_u64(arg[3], &length) ||
	    gdl_parse_mode(arg[4], &mode) || !agent)
		return -EINVAL;
	return gdl_range_apply(gdl.core, grant, agent, device, addr, length,
			       mode);
}

static int gdl_cmd_grant(char **arg, int n)
{
	return gdl_cmd_range(arg, true);
}

static int gdl_cmd_revoke(char **arg, int n)
{
	return gdl_cmd_range(arg, false);
}

/* Identity bindings (gdl_identity.c): agent 0 and uid -1 are -EINVAL. */
static int gdl_cmd_bind_cgroup(char **arg, int n)
{
	u64 agent;

	if (gdl_parse_u64(arg[1], &agent) || !agent)
		return -EINVAL;
	return gdl_identity_bind_cgroup(arg[0], agent, NULL);
}

static int gdl_cmd_unbind_cgroup(char **arg, int n)
{
	return gdl_identity_unbind_cgroup(arg[0], NULL);
}

static int gdl_cmd_bind_uid(char **arg, int n)
{
	u64 agent;
	u32 uid;

	if (gdl_parse_u32(arg[0], &uid) || gdl_parse_u64(arg[1], &agent) ||
	    !agent)
		return -EINVAL;
	return gdl_identity_bind_uid(uid, agent);
}

static int gdl_cmd_unbind_uid(char **arg, int n)
{
	u32 uid;

	if (gdl_parse_u32(arg[0], &uid))
		return -EINVAL;
	return gdl_identity_unbind_uid(uid);
}

/**
 * struct gdl_command - one word of the control language
 * @name:     the command word
 * @min_args: fewest arguments after the word
 * @max_args: most arguments after the word
 * @run:      parses its arguments and acts; -EINVAL for a bad argument
 */
struct gdl_command {
	const char *name;
	int min_args;
	int max_args;
	int (*run)(char **arg, int n);
};

static const struct gdl_command gdl_commands[] = {
	{ "reset_stats",	0, 0, gdl_cmd_reset_stats },
	{ "set_quota",		2, 3, gdl_cmd_set_quota },
	{ "set_agent",		3, 3, gdl_cmd_set_agent },
	{ "remove_agent",	1, 1, gdl_cmd_remove_agent },
	{ "allocate",		0, 3, gdl_cmd_allocate },
	{ "free",		1, 1, gdl_cmd_free },
	{ "release_agent",	1, 1, gdl_cmd_release_agent },
	{ "grant",		5, 5, gdl_cmd_grant },
	{ "revoke",		5, 5, gdl_cmd_revoke },
	{ "bind_cgroup",	2, 2, gdl_cmd_bind_cgroup },
	{ "unbind_cgroup",	1, 1, gdl_cmd_unbind_cgroup },
	{ "bind_uid",		2, 2, gdl_cmd_bind_uid },
	{ "unbind_uid",		1, 1, gdl_cmd_unbind_uid },
};

/**
 * gdl_control_run() - parse and run one control line
 * @line: NUL-terminated, at most GDL_CONTROL_LINE_MAX bytes; modified
 *
 * Return: 0, -EINVAL for a malformed line, or the core's error.
 */
int gdl_control_run(char *line)
{
	char *tok[GDL_MAX_TOKENS];
	unsigned int i;
	int n, ret;

	if (gdl_strip_newline(line))
		return -EINVAL;
	n = gdl_tokenize(line, tok, GDL_MAX_TOKENS);
	if (n <= 0)
		return -EINVAL;

	for (i = 0; i < ARRAY_SIZE(gdl_commands); i++) {
		const struct gdl_command *cmd = &gdl_commands[i];

		if (strcmp(tok[0], cmd->name))
			continue;
		if (n - 1 < cmd->min_args || n - 1 > cmd->max_args)
			return -EINVAL;
		mutex_lock(&gdl_control_lock);
		ret = cmd->run(tok + 1, n - 1);
		mutex_unlock(&gdl_control_lock);
		gdl_dbg("control: %s: %d\n", cmd->name, ret);
		return ret;
	}
	return -EINVAL;
}

/**
 * gdl_dma_permission_run() - the prototype's AGENT:ADDR:MODE grant
 * @line: NUL-terminated; modified
 *
 * Grants @MODE on one 4096-byte page at ADDR of device 0.  The prototype
 * created agents implicitly, even with default_quota 0; the core does the
 * same (default_quota, every device) in one step that leaves nothing
 * behind when the grant fails.
 *
 * Return: 0, -EINVAL for a malformed line, or the core's error.
 */
int gdl_dma_permission_run(char *line)
{
	char *agent_s, *addr_s, *mode_s;
	u64 agent, addr;
	u32 mode;
	int ret;

	if (gdl_strip_newline(line))
		return -EINVAL;
	agent_s = strsep(&line, ":");
	addr_s = strsep(&line, ":");
	mode_s = strsep(&line, ":");
	if (!addr_s || !mode_s || line)
		return -EINVAL;
	if (gdl_parse_u64(agent_s, &agent) || gdl_parse_u64(addr_s, &addr) ||
	    gdl_parse_mode(mode_s, &mode) || !agent)
		return -EINVAL;

	mutex_lock(&gdl_control_lock);
	ret = gdl_grant_create(gdl.core, agent, 0, addr, GDL_PROTO_PAGE,
			       mode);
	mutex_unlock(&gdl_control_lock);
	gdl_dbg("dma_permissions: %llu:0x%llx:%s: %d\n", agent, addr,
		gdl_mode_name(mode), ret);
	return ret;
}
