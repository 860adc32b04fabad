/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_tool.h - what the VM engineer's in-guest tools share
 *
 * stress_*, scale_*, kill_*, reload_* and bench_* tools talk to the real
 * module through /dev/gpu_dma_lock and read /proc/swarm/gpu/.  They report
 * TAP lines through ../../gdl_tap.h ("ok - ..." / "not ok - ...: ...") and
 * exit 0 when all passed, 1 when some assertion failed, 2 (die()) when they
 * could not run.
 * Header-only so that every tool stays one .c file for test/kernel/Makefile.
 */
#ifndef VM_TOOL_H
#define VM_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "uapi/gpu_dma_lock.h"
#include "../../gdl_tap.h"

#define GDL_DEV_PATH	"/dev/" GDL_DEVICE_NAME
#define GDL_PROC_DIR	"/proc/swarm/gpu"

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline int gdl_open(void)
{
	int fd = open(GDL_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", GDL_DEV_PATH, strerror(errno));
	return fd;
}

/*
 * tap_ioctl_fails - an ioctl that must fail with @want and, when @unchanged is
 * nonzero, leave those first bytes of @arg as they were: a refused request
 * must not write anything back.
 */
static inline void tap_ioctl_fails(int fd, const char *what, unsigned long req, void *arg,
				   size_t unchanged, int want)
{
	unsigned char before[512];
	int ret;

	if (unchanged > sizeof(before))
		die("%s: struct of %zu bytes is too big to compare", what, unchanged);
	if (unchanged)
		memcpy(before, arg, unchanged);
	ret = ioctl(fd, req, arg);
	if (ret != -1 || errno != want)
		tap_not_ok(what, "expected -1/%s, got %d/%s", strerror(want), ret,
			   ret ? strerror(errno) : "-");
	else if (unchanged && memcmp(before, arg, unchanged))
		tap_not_ok(what, "failed with %s but changed the struct", strerror(want));
	else
		tap_ok("%s: %s", what, strerror(want));
}

/*
 * Refusal tables.  Each row is a well-formed request (@base) with one member
 * set to a bad value, and the errno the module must answer; the request must
 * fail with it and write nothing back (tap_ioctl_fails).  TAP_REFUSE_AS_IS names
 * a row that sends @base unchanged (e.g. an unknown agent).  Values are
 * stored little-endian, as on every machine the guest runs on.
 */
struct tap_refusal {
	const char *what;
	size_t offset, size;		/* the member; size 0: @base as is */
	uint64_t value;
	int err;
};

#define TAP_REFUSE(type, member, val, errno_, what_)				\
	{ .what = (what_), .offset = offsetof(type, member),			\
	  .size = sizeof(((type *)0)->member), .value = (uint64_t)(val), .err = (errno_) }
#define TAP_REFUSE_AS_IS(errno_, what_)	{ .what = (what_), .err = (errno_) }

static inline void tap_refusals(int fd, unsigned long req, const void *base, size_t size,
				const struct tap_refusal *rows, size_t n)
{
	unsigned char buf[512];
	size_t i;

	if (size > sizeof(buf))
		die("refusal table: struct of %zu bytes is too big", size);
	for (i = 0; i < n; i++) {
		memcpy(buf, base, size);
		memcpy(buf + rows[i].offset, &rows[i].value, rows[i].size);
		tap_ioctl_fails(fd, rows[i].what, req, buf, size, rows[i].err);
	}
}
#define TAP_REFUSALS(fd, req, base, rows)					\
	tap_refusals((fd), (req), &(base), sizeof(base), (rows), sizeof(rows) / sizeof((rows)[0]))

/* An ioctl that must succeed; returns 1 if it did. */
static inline int tap_ioctl_succeeds(int fd, const char *what, unsigned long req, void *arg)
{
	if (ioctl(fd, req, arg)) {
		tap_not_ok(what, "failed: %s", strerror(errno));
		return 0;
	}
	tap_ok("%s", what);
	return 1;
}

/* 0 or -errno: the tools compare errors, so keep them as values. */
static inline int ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static inline int ioc_set_agent(int fd, uint64_t agent, uint64_t quota, uint64_t mask)
{
	struct gdl_agent_cfg c = { .agent_id = agent, .quota = quota, .device_mask = mask };

	return ioc(fd, GDL_IOC_SET_AGENT, &c);
}

static inline int ioc_get_agent(int fd, uint64_t agent, struct gdl_agent_info *out)
{
	memset(out, 0, sizeof(*out));
	out->agent_id = agent;
	return ioc(fd, GDL_IOC_GET_AGENT, out);
}

static inline int ioc_alloc(int fd, uint64_t agent, uint64_t size, uint32_t device,
		     uint32_t flags, uint64_t *id)
{
	struct gdl_alloc a = { .agent_id = agent, .size = size, .device = device, .flags = flags };
	int err = ioc(fd, GDL_IOC_ALLOC, &a);

	if (!err)
		*id = a.alloc_id;
	return err;
}

static inline int ioc_free(int fd, uint64_t id)
{
	struct gdl_free f = { .alloc_id = id };

	return ioc(fd, GDL_IOC_FREE, &f);
}

static inline int ioc_grant_op(int fd, unsigned long req, uint64_t agent, uint32_t device,
			uint64_t addr, uint64_t length, uint32_t mode)
{
	struct gdl_grant g = { .agent_id = agent, .addr = addr, .length = length,
			       .device = device, .mode = mode };

	return ioc(fd, req, &g);
}

/* GDL_CHECK_ALLOWED, GDL_CHECK_DENIED or -errno. */
static inline int ioc_check(int fd, uint64_t agent, uint32_t device, uint64_t addr,
		     uint64_t length, uint32_t mode)
{
	struct gdl_check c = { .agent_id = agent, .addr = addr, .length = length,
			       .device = device, .mode = mode };
	int err = ioc(fd, GDL_IOC_CHECK, &c);

	return err ? err : (int)c.result;
}

static inline int ioc_get_stats(int fd, struct gdl_stats *s)
{
	memset(s, 0, sizeof(*s));
	return ioc(fd, GDL_IOC_GET_STATS, s);
}

static inline int ioc_get_device(int fd, uint32_t index, struct gdl_device_info *d)
{
	memset(d, 0, sizeof(*d));
	d->index = index;
	return ioc(fd, GDL_IOC_GET_DEVICE, d);
}

#ifdef _GNU_SOURCE	/* setresuid(): the identity tools define it */
#include <grp.h>
#include <sys/wait.h>

/* Become @uid/@uid with no supplementary groups: no capability is left. */
static inline void vm_become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		die("cannot become uid %u: %s", (unsigned int)uid, strerror(errno));
	if (geteuid() != uid || getegid() != uid)
		die("still privileged");
}

/*
 * vm_as_nobody - runs @fn(@arg) in a child that became uid/gid 65534 and
 * still holds every file the caller has open.  The child's TAP lines go to
 * our stdout and count as ours: its "not ok" lines are already out, so a
 * child that exits 1 only adds to tap_failures; one that could not finish
 * is a "not ok" of its own.
 */
static inline void vm_as_nobody(void (*fn)(void *), void *arg)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		vm_become(65534);
		fn(arg);
		fflush(stdout);
		_exit(tap_exit());
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) > 1)
		tap_not_ok("unprivileged child", "did not finish");
	else if (WEXITSTATUS(st))
		tap_failures++;
}
#endif /* _GNU_SOURCE */

/*
 * The identity tools' scene (12-unpriv, 21-userns): agents 10 and 11 with a
 * 1 MiB quota on device 0, a read-write page granted to each (10 at 0x1000,
 * 11 at 0x5000), a persistent 4 KiB allocation of agent 11, a file bound to
 * agent 10 and an unbound one, both for the unprivileged callers to inherit.
 */
struct vm_two_agents {
	int fd_bound, fd_unbound;
	uint64_t id11;		/* agent 11's allocation */
};

static inline void vm_two_agents_setup(int fd_admin, struct vm_two_agents *s)
{
	struct gdl_bind b = { .agent_id = 10 };
	uint64_t agent;

	for (agent = 10; agent <= 11; agent++) {
		if (ioc_set_agent(fd_admin, agent, 1ull << 20, 1))
			die("SET_AGENT %llu: %s", (unsigned long long)agent, strerror(errno));
		if (ioc_grant_op(fd_admin, GDL_IOC_GRANT, agent, 0, agent == 10 ? 0x1000 : 0x5000,
				 0x1000, GDL_DMA_RW))
			die("GRANT %llu: %s", (unsigned long long)agent, strerror(errno));
	}
	if (ioc_alloc(fd_admin, 11, 4096, 0, GDL_ALLOC_PERSISTENT, &s->id11))
		die("ALLOC 11: %s", strerror(errno));
	s->fd_bound = gdl_open();
	s->fd_unbound = gdl_open();
	if (ioctl(s->fd_bound, GDL_IOC_BIND, &b))
		die("BIND 10: %s", strerror(errno));
}

/* Writes @text to @path, opened write-only (plus @oflags): 0 or -errno. */
static inline int vm_write(const char *path, const char *text, int oflags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | oflags), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

/* The line vm_control() last wrote in this thread, for messages. */
static __thread char vm_control_line[512];

/*
 * One line to /proc/swarm/gpu/control, formatted: 0 or -errno (also when
 * the file cannot be opened); what a failure means is the caller's to say.
 */
static inline int __attribute__((format(printf, 1, 2))) vm_control(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm_control_line, sizeof(vm_control_line), fmt, ap);
	va_end(ap);
	return vm_write(GDL_PROC_DIR "/control", vm_control_line, 0);
}

static inline void vm_control_done(int ret)
{
	if (ret)
		die("control '%s': %s", vm_control_line, strerror(-ret));
}

/* A control line the tool cannot go on without: dies if it fails. */
#define vm_control_or_die(...) vm_control_done(vm_control(__VA_ARGS__))

/* A path from @fmt in one of four rotating buffers: one call may use four. */
static inline const char *__attribute__((format(printf, 1, 2))) vm_path(const char *fmt, ...)
{
	static char buf[4][512];
	static unsigned int i;
	char *p = buf[i++ & 3];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return p;
}

/* Moves @pid into the cgroup (v2) directory @dir; dies if that fails. */
static inline void vm_cg_move(const char *dir, pid_t pid)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", pid) < 0 || fclose(f))
		die("move %d to %s: %s", pid, dir, strerror(errno));
}

/* Whole file into a NUL-terminated buffer; /proc files have no size. */
static inline char *slurp(const char *path, size_t *len_out)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0)
		die("open %s: %s", path, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory reading %s", path);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0)
			die("read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

/* One record of /proc/swarm/gpu/allocations. */
struct proc_alloc {
	uint64_t id, agent, size;
	uint32_t device, flags;
	long owner_pid;
};

/*
 * Parse /proc/swarm/gpu/allocations ("# alloc_id agent device size flags
 * owner_pid", ids in 0x hex or decimal).  Returns the record count; *out is
 * malloc'ed.  A malformed line is an assertion failure, reported once.
 */
static inline size_t proc_read_allocations(struct proc_alloc **out)
{
	char *buf = slurp(GDL_PROC_DIR "/allocations", NULL), *line, *save = NULL;
	size_t n = 0, cap = 1024, bad = 0;
	struct proc_alloc *v = malloc(cap * sizeof(*v));

	if (!v)
		die("out of memory");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct proc_alloc a;
		unsigned long long id, agent, size;
		unsigned int dev, flags;
		long pid;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%lli %lli %u %lli %i %ld", &id, &agent, &dev, &size,
			   &flags, &pid) != 6) {
			if (!bad++)
				tap_not_ok("allocations listing is well-formed", "bad line '%s'", line);
			continue;
		}
		a.id = id, a.agent = agent, a.device = dev, a.size = size;
		a.flags = flags, a.owner_pid = pid;
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("out of memory");
		}
		v[n++] = a;
	}
	free(buf);
	*out = v;
	return n;
}

/* One record of /proc/swarm/gpu/quotas: "# agent quota used device_mask allocations grants". */
struct proc_quota {
	uint64_t agent, quota, used, mask, allocations, grants;
};

/* Returns 1 and fills *q if @agent is listed, else 0. */
static inline int proc_find_quota(uint64_t agent, struct proc_quota *q)
{
	char *buf = slurp(GDL_PROC_DIR "/quotas", NULL), *line, *save = NULL;
	int found = 0;

	for (line = strtok_r(buf, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v[6];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%lli %lli %lli %lli %lli %lli", &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5]) != 6 || v[0] != agent)
			continue;
		*q = (struct proc_quota){ v[0], v[1], v[2], v[3], v[4], v[5] };
		found = 1;
	}
	free(buf);
	return found;
}

#endif /* VM_TOOL_H */
