/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_tool.h - what the VM engineer's in-guest tools share
 *
 * stress_*, scale_*, kill_*, reload_* and bench_* tools talk to the real
 * module through /dev/gpu_dma_lock and read /proc/swarm/gpu/.  They report
 * TAP lines themselves ("ok - ..." / "not ok - ...: ...") and exit 0 when
 * all passed, 1 when some assertion failed, 2 when they could not run.
 * Header-only so that every tool stays one .c file for test/kernel/Makefile.
 */
#ifndef VM_TOOL_H
#define VM_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "uapi/gpu_dma_lock.h"

#define GDL_DEV_PATH	"/dev/" GDL_DEVICE_NAME
#define GDL_PROC_DIR	"/proc/swarm/gpu"

static int tap_failures;

static inline void __attribute__((format(printf, 1, 2))) tap_ok(const char *fmt, ...)
{
	va_list ap;

	printf("ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* tap_not_ok("what", "why fmt", ...) */
static inline void __attribute__((format(printf, 2, 3)))
tap_not_ok(const char *what, const char *fmt, ...)
{
	va_list ap;

	tap_failures++;
	printf("not ok - %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Exactly one TAP line for an expectation about two numbers. */
static inline int tap_eq(const char *what, unsigned long long want, unsigned long long got)
{
	if (want == got) {
		tap_ok("%s (%llu)", what, got);
		return 1;
	}
	tap_not_ok(what, "expected %llu, got %llu", want, got);
	return 0;
}

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

static inline int tap_exit(void)
{
	return tap_failures ? 1 : 0;
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
			uint64_t start, uint64_t length, uint32_t mode)
{
	struct gdl_grant g = { .agent_id = agent, .start = start, .length = length,
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
