// SPDX-License-Identifier: GPL-2.0
/*
 * harden.c - the adversarial review's defects (issue 10), each as its
 * trigger against the real module: every "ok" here was a "not ok" before.
 *
 * Expects fake_gpus=2 default_quota=1048576 max_agent_allocs=4
 * (test/kernel/cases/20-harden.sh).  Runs as root and forks unprivileged
 * children (uid/gid 65534, no capabilities) for what a workload may do.
 */
#define _GNU_SOURCE
#include "vm_tool.h"

#include <sys/mman.h>

#define MIB		(1ull << 20)
#define DEFAULT_QUOTA	MIB
#define MAX_ALLOCS	4

static int fd_admin;

static int bound_file(uint64_t agent)
{
	struct gdl_bind b = { .agent_id = agent };
	int fd = gdl_open();

	if (ioctl(fd, GDL_IOC_BIND, &b))
		die("BIND %llu: %s", (unsigned long long)agent, strerror(errno));
	return fd;
}

/* One control line; a refusal is a failed expectation, not the end. */
static void control(const char *line)
{
	int ret = vm_control("%s", line);

	if (ret)
		tap_not_ok("control line", "'%s': %s", line, strerror(-ret));
}

/* Defect 1 ---------------------------------------------------------------- */

static void nobody_allocates(void *arg)
{
	int fd = *(int *)arg, i;
	uint64_t id;

	tap_eq("nobody: PERSISTENT allocation refused (EPERM)", EPERM,
	       -ioc_alloc(fd, 0, 1, 0, GDL_ALLOC_PERSISTENT, &id));
	for (i = 0; i < MAX_ALLOCS; i++)
		if (ioc_alloc(fd, 0, 1, 0, 0, &id))
			tap_not_ok("nobody: allocation under the limit", "%d", i);
	tap_eq("nobody: allocation past max_agent_allocs refused (EDQUOT)",
	       EDQUOT, -ioc_alloc(fd, 0, 1, 0, 0, &id));
	tap_eq("nobody: RELEASE_AGENT refused (EPERM)", EPERM,
	       -ioc(fd, GDL_IOC_RELEASE_AGENT,
		    &(struct gdl_agent_ref){ .agent_id = 20 }));
}

static void test_alloc_limit_and_release(void)
{
	struct gdl_agent_info ai;
	struct gdl_agent_ref ref = { .agent_id = 20 };
	int fd;
	uint64_t id;

	ioc_set_agent(fd_admin, 20, MIB, 0x3);
	fd = bound_file(20);
	vm_as_nobody(nobody_allocates, &fd);
	ioc_get_agent(fd_admin, 20, &ai);
	tap_eq("agent 20 holds max_agent_allocs allocations", MAX_ALLOCS,
	       ai.allocations);
	tap_eq("REMOVE_AGENT while it has allocations: EBUSY", EBUSY,
	       -ioc(fd_admin, GDL_IOC_REMOVE_AGENT, &ref));
	tap_eq("RELEASE_AGENT 20", 0, -ioc(fd_admin, GDL_IOC_RELEASE_AGENT, &ref));
	ioc_get_agent(fd_admin, 20, &ai);
	tap_eq("agent 20 holds nothing after RELEASE_AGENT", 0,
	       ai.allocations + ai.used);
	tap_eq("root: PERSISTENT allocation", 0,
	       -ioc_alloc(fd_admin, 20, 4096, 1, GDL_ALLOC_PERSISTENT, &id));
	tap_eq("root: a file's allocation", 0, -ioc_alloc(fd, 0, 4096, 1, 0, &id));
	control("release_agent 20\n");
	ioc_get_agent(fd_admin, 20, &ai);
	tap_eq("control release_agent frees persistent and owned ones", 0,
	       ai.allocations + ai.used);
	tap_eq("REMOVE_AGENT 20 after release", 0,
	       -ioc(fd_admin, GDL_IOC_REMOVE_AGENT, &ref));
	ref.agent_id = 777;
	tap_eq("RELEASE_AGENT unknown: ENOENT", ENOENT,
	       -ioc(fd_admin, GDL_IOC_RELEASE_AGENT, &ref));
	ref.pad = 1;
	tap_eq("RELEASE_AGENT nonzero pad: EINVAL", EINVAL,
	       -ioc(fd_admin, GDL_IOC_RELEASE_AGENT, &ref));
	close(fd);
}

/* Defect 3 ---------------------------------------------------------------- */

static void test_mask_narrowing(void)
{
	struct gdl_check_entry e = { .addr = 0x1000, .length = 16, .device = 1,
				     .mode = GDL_DMA_READ };
	struct gdl_check_batch b = { .agent_id = 21, .entries = (uintptr_t)&e,
				     .count = 1 };

	ioc_set_agent(fd_admin, 21, MIB, 0x3);
	ioc_grant_op(fd_admin, GDL_IOC_GRANT, 21, 1, 0x1000, 0x1000, GDL_DMA_RW);
	tap_eq("device 1 allowed while in the mask", GDL_CHECK_ALLOWED,
	       ioc_check(fd_admin, 21, 1, 0x1000, 16, GDL_DMA_READ));
	ioc_set_agent(fd_admin, 21, MIB, 0x1);
	tap_eq("CHECK on device 1 denied once the mask drops it",
	       GDL_CHECK_DENIED, ioc_check(fd_admin, 21, 1, 0x1000, 16, GDL_DMA_READ));
	tap_eq("CHECK_BATCH agrees", 0, -ioc(fd_admin, GDL_IOC_CHECK_BATCH, &b));
	tap_eq("CHECK_BATCH entry denied", GDL_CHECK_DENIED, e.result);
	tap_eq("a new grant there refused (EPERM)", EPERM,
	       -ioc_grant_op(fd_admin, GDL_IOC_GRANT, 21, 1, 0x8000, 16, GDL_DMA_RW));
}

/* Defect 4 ---------------------------------------------------------------- */

static void test_removed_agent_stays_removed(void)
{
	struct gdl_agent_ref ref = { .agent_id = 22 };
	struct gdl_agent_info ai;
	int fd;
	uint64_t id;

	ioc_set_agent(fd_admin, 22, 4096, 0x1);
	fd = bound_file(22);
	tap_eq("REMOVE_AGENT 22 while a file is bound to it", 0,
	       -ioc(fd_admin, GDL_IOC_REMOVE_AGENT, &ref));
	tap_eq("the bound file's ALLOC does not re-create it (ENOENT)", ENOENT,
	       -ioc_alloc(fd, 0, 4096, 1, 0, &id));
	tap_eq("agent 22 is still gone", ENOENT, -ioc_get_agent(fd_admin, 22, &ai));
	ioc_set_agent(fd_admin, 22, 4096, 0x1);
	tap_eq("after SET_AGENT the bound file allocates again", 0,
	       -ioc_alloc(fd, 0, 4096, 0, 0, &id));
	close(fd);
}

/* Defect 5 ---------------------------------------------------------------- */

static void nobody_reads_proc(void *arg)
{
	static const char *const closed[] = { "quotas", "agents", "allocations",
					      "contexts", "dma_permissions" };
	static const char *const open_[] = { "stats", "devices" };
	char path[128];
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(closed) / sizeof(closed[0]); i++) {
		snprintf(path, sizeof(path), GDL_PROC_DIR "/%s", closed[i]);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			tap_not_ok(closed[i], "an unprivileged reader opened it");
			close(fd);
		} else {
			tap_ok("nobody cannot read %s (%s)", closed[i], strerror(errno));
		}
	}
	for (i = 0; i < sizeof(open_) / sizeof(open_[0]); i++) {
		snprintf(path, sizeof(path), GDL_PROC_DIR "/%s", open_[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			tap_not_ok(open_[i], "unprivileged open: %s", strerror(errno));
		} else {
			tap_ok("nobody reads %s", open_[i]);
			close(fd);
		}
	}
}

/* Defect 8 ---------------------------------------------------------------- */

static void test_failed_commands_leave_no_trace(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* 160 entries: the first 128 fill page 0, the rest sit on page 1. */
	struct gdl_check_entry *e = (void *)(mem + pg - 128 * sizeof(*e));
	struct gdl_check_batch b = { .agent_id = 21, .entries = (uintptr_t)e,
				     .count = 160 };
	/* Past the entries, at the end of the read-only page. */
	struct gdl_alloc *ua = (void *)(mem + 2 * pg - 512);
	struct swarm_gpu_alloc *sa = (void *)(mem + 2 * pg - 256);
	struct gdl_stats before, after;
	int i;

	if (mem == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (i = 0; i < 160; i++)
		e[i] = (struct gdl_check_entry){ .addr = 0x1000, .length = 8,
						 .mode = GDL_DMA_READ };
	*ua = (struct gdl_alloc){ .agent_id = 21, .size = 4096 };
	*sa = (struct swarm_gpu_alloc){ .agent_id = 21, .size = 4096 };
	/* Readable, not writable: every copy in works, the writes fault. */
	if (mprotect(mem + pg, pg, PROT_READ))
		die("mprotect: %s", strerror(errno));

	ioc_get_stats(fd_admin, &before);
	tap_eq("CHECK_BATCH faulting on its fifth chunk: EFAULT", EFAULT,
	       -ioc(fd_admin, GDL_IOC_CHECK_BATCH, &b));
	tap_eq("GDL_IOC_ALLOC faulting on copy-out: EFAULT", EFAULT,
	       -ioc(fd_admin, GDL_IOC_ALLOC, ua));
	tap_eq("SWARM_GPU_ALLOC faulting on copy-out: EFAULT", EFAULT,
	       -ioc(fd_admin, SWARM_GPU_ALLOC, sa));
	ioc_get_stats(fd_admin, &after);
	tap_eq("checks unchanged by the failed batch", before.checks, after.checks);
	tap_eq("checks_denied unchanged", before.checks_denied, after.checks_denied);
	tap_eq("allocs unchanged by failed ALLOCs", before.allocs, after.allocs);
	tap_eq("frees unchanged by failed ALLOCs", before.frees, after.frees);
	tap_eq("live_allocations unchanged", before.live_allocations,
	       after.live_allocations);
	tap_eq("used_bytes unchanged", before.used_bytes, after.used_bytes);
	munmap(mem, 2 * pg);
}

/* Defect 9 ---------------------------------------------------------------- */

static void test_proc_reread_is_fresh(void)
{
	char buf[1 << 14], line[64];
	ssize_t n, len = 0;
	int fd, i;

	/*
	 * Enough agents that 128 bytes end inside the first batch: the
	 * iterator then still holds that batch when the file is re-read.
	 */
	for (i = 60; i < 70; i++) {
		snprintf(line, sizeof(line), "set_agent %d 4096 0x1\n", i);
		control(line);
	}
	fd = open(GDL_PROC_DIR "/quotas", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open quotas: %s", strerror(errno));
	if (read(fd, buf, 128) <= 0)
		die("read quotas: %s", strerror(errno));
	control("set_agent 23 4096 0x1\n");
	if (lseek(fd, 0, SEEK_SET) != 0)
		die("lseek: %s", strerror(errno));
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	if (strstr(buf, "\n23 4096 0 0x1 0 0\n"))
		tap_ok("a re-read from offset 0 shows the agent added meanwhile");
	else
		tap_not_ok("re-read from offset 0", "agent 23 missing:\n%s", buf);
}

/* Defect 12 --------------------------------------------------------------- */

static void nobody_malformed(void *arg)
{
	int fd = gdl_open();	/* unbound */
	struct swarm_dma_grant sg = { .agent_id = 21, .size = 0,
				      .permissions = SWARM_ACCESS_READ };
	struct swarm_dma_check sc = { .agent_id = 21, .size = 1 };

	tap_eq("nobody: GRANT of length 0: EINVAL", EINVAL,
	       -ioc_grant_op(fd, GDL_IOC_GRANT, 21, 0, 0, 0, GDL_DMA_READ));
	tap_eq("nobody: GRANT of mode 0: EINVAL", EINVAL,
	       -ioc_grant_op(fd, GDL_IOC_GRANT, 21, 0, 0, 16, 0));
	tap_eq("nobody: well-formed GRANT: EPERM", EPERM,
	       -ioc_grant_op(fd, GDL_IOC_GRANT, 21, 0, 0, 16, GDL_DMA_READ));
	tap_eq("nobody: CHECK of mode 0: EINVAL", EINVAL,
	       -ioc_check(fd, 21, 0, 0, 16, 0));
	tap_eq("nobody: CHECK wrapping around: EINVAL", EINVAL,
	       -ioc_check(fd, 21, 0, ~0ull, 16, GDL_DMA_READ));
	tap_eq("nobody: SWARM_DMA_GRANT_PERM of size 0: EINVAL", EINVAL,
	       -ioc(fd, SWARM_DMA_GRANT_PERM, &sg));
	tap_eq("nobody: SWARM_DMA_CHECK_PERM of mode 0: EINVAL", EINVAL,
	       -ioc(fd, SWARM_DMA_CHECK_PERM, &sc));
	close(fd);
}

/* The prototype's grants to agents nobody configured --------------------- */

static void test_grant_creates_agent(void)
{
	struct swarm_dma_grant sg = { .agent_id = 31, .dma_addr = 0x2000,
				      .size = 0x1000,
				      .permissions = SWARM_ACCESS_READ };
	struct gdl_agent_info ai;

	tap_eq("GRANT to unknown agent 30 creates it", 0,
	       -ioc_grant_op(fd_admin, GDL_IOC_GRANT, 30, 1, 0x1000, 0x1000,
			     GDL_DMA_RW));
	if (!ioc_get_agent(fd_admin, 30, &ai)) {
		tap_eq("agent 30 has default_quota", DEFAULT_QUOTA, ai.quota);
		tap_eq("agent 30 has every device", 0x3, ai.device_mask);
	} else {
		tap_not_ok("agent 30 exists", "GET_AGENT failed");
	}
	tap_eq("SWARM_DMA_GRANT_PERM to unknown agent 31 creates it", 0,
	       -ioc(fd_admin, SWARM_DMA_GRANT_PERM, &sg));
	tap_eq("agent 31 exists", 0, -ioc_get_agent(fd_admin, 31, &ai));
	tap_eq("REVOKE never creates (ENOENT)", ENOENT,
	       -ioc_grant_op(fd_admin, GDL_IOC_REVOKE, 32, 0, 0, 16, GDL_DMA_READ));
}

int main(void)
{
	fd_admin = gdl_open();
	test_alloc_limit_and_release();
	test_mask_narrowing();
	test_removed_agent_stays_removed();
	vm_as_nobody(nobody_reads_proc, NULL);
	test_failed_commands_leave_no_trace();
	test_proc_reread_is_fresh();
	vm_as_nobody(nobody_malformed, NULL);
	test_grant_creates_agent();
	close(fd_admin);
	return tap_exit();
}
