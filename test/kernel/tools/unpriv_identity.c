// SPDX-License-Identifier: GPL-2.0
/*
 * unpriv_identity.c - an unprivileged caller acts only as its bound agent
 *
 * Root sets up agents 10 and 11, opens three files (one bound to agent 10,
 * one unbound, one it keeps using itself), then forks a child that drops to
 * uid/gid 65534 (losing every capability) and still holds all three.  The
 * child must be refused everything but the read-only queries on the
 * unbound file and acting as agent 10 on the bound one; capabilities are
 * checked at call time, so even root's own file is powerless in its hands.
 * Afterwards root checks that nothing the child was refused happened.
 *
 * Expects fake_gpus=1 default_quota=0 (test/kernel/cases/12-unpriv.sh).
 */
#define _GNU_SOURCE
#include "vm_tool.h"

#define MIB	(1ull << 20)

static int fd_admin, fd_bound, fd_unbound;

/* What an unbound, unprivileged file may and may not do. */
static void child_unbound(uint64_t id11)
{
	struct gdl_info info = { 0 };
	struct gdl_stats st = { 0 };
	struct gdl_device_info di = { 0 };
	struct swarm_gpu_query q;
	struct gdl_agent_info ai = { 0 };
	struct gdl_alloc a = { .size = 4096 };
	struct gdl_free f = { .alloc_id = id11 };
	struct gdl_check c = { .length = 1, .mode = GDL_DMA_READ,
			       .addr = 0x1000 };
	struct gdl_check_entry e = { .addr = 0x1000, .length = 1,
				     .mode = GDL_DMA_READ };
	struct gdl_check_batch cb = { .entries = (uintptr_t)&e, .count = 1 };
	struct swarm_gpu_alloc sa = { .size = 4096 };
	struct swarm_dma_check sc = { .dma_addr = 0x1000, .size = 1,
				      .access_type = SWARM_ACCESS_READ };
	int fd;

	tap_eq("unbound: NOOP allowed", 0, ioctl(fd_unbound, GDL_IOC_NOOP, 0));
	if (tap_ioctl_succeeds(fd_unbound, "unbound: INFO allowed", GDL_IOC_INFO, &info))
		tap_eq("unbound: INFO says unbound", 0, info.bound);
	tap_ioctl_succeeds(fd_unbound, "unbound: GET_STATS allowed", GDL_IOC_GET_STATS, &st);
	tap_ioctl_succeeds(fd_unbound, "unbound: GET_DEVICE allowed", GDL_IOC_GET_DEVICE, &di);
	tap_ioctl_succeeds(fd_unbound, "unbound: SWARM_GPU_QUERY allowed", SWARM_GPU_QUERY, &q);

	tap_ioctl_fails(fd_unbound, "unbound: GET_AGENT 0", GDL_IOC_GET_AGENT, &ai, 0, EPERM);
	ai.agent_id = 10;
	tap_ioctl_fails(fd_unbound, "unbound: GET_AGENT 10", GDL_IOC_GET_AGENT, &ai, 0, EPERM);
	tap_ioctl_fails(fd_unbound, "unbound: ALLOC agent 0", GDL_IOC_ALLOC, &a, 0, EPERM);
	a.agent_id = 10;
	tap_ioctl_fails(fd_unbound, "unbound: ALLOC agent 10", GDL_IOC_ALLOC, &a, 0, EPERM);
	tap_ioctl_fails(fd_unbound, "unbound: FREE", GDL_IOC_FREE, &f, 0, EPERM);
	c.agent_id = 10;
	tap_ioctl_fails(fd_unbound, "unbound: CHECK", GDL_IOC_CHECK, &c, 0, EPERM);
	tap_ioctl_fails(fd_unbound, "unbound: CHECK_BATCH", GDL_IOC_CHECK_BATCH, &cb, 0, EPERM);
	tap_ioctl_fails(fd_unbound, "unbound: SWARM_GPU_ALLOC", SWARM_GPU_ALLOC, &sa, 0, EPERM);
	errno = 0;
	tap_eq("unbound: SWARM_GPU_FREE refused", EPERM,
	       ioctl(fd_unbound, SWARM_GPU_FREE, id11) ? errno : 0);
	tap_ioctl_fails(fd_unbound, "unbound: SWARM_DMA_CHECK_PERM", SWARM_DMA_CHECK_PERM, &sc, 0, EPERM);

	fd = open(GDL_DEV_PATH, O_RDWR);
	if (fd < 0) {
		tap_not_ok("unprivileged open of the device", "%s",
			   strerror(errno));
		return;
	}
	tap_ok("unprivileged open of the device (mode 0666)");
	a.agent_id = 0;
	tap_ioctl_fails(fd, "own unbound file: ALLOC", GDL_IOC_ALLOC, &a, 0, EPERM);
	close(fd);
}

/* The bound file acts as agent 10, and only as agent 10. */
static void child_bound(uint64_t id11)
{
	struct gdl_info info = { 0 };
	struct gdl_agent_info ai = { 0 };
	struct gdl_alloc a = { .size = 4096 };
	struct gdl_free f = { 0 };
	struct gdl_check c = { .addr = 0x1000, .length = 0x10,
			       .mode = GDL_DMA_RW };
	struct gdl_check_entry e[2] = {
		{ .addr = 0x1000, .length = 0x10, .mode = GDL_DMA_READ },
		{ .addr = 0x5000, .length = 0x10, .mode = GDL_DMA_READ },
	};
	struct gdl_check_batch cb = { .entries = (uintptr_t)e, .count = 2 };
	struct swarm_gpu_alloc sa = { .size = 4096 };
	struct swarm_dma_check sc = { .dma_addr = 0x1000, .size = 1,
				      .access_type = SWARM_ACCESS_WRITE };
	uint64_t own = 0, legacy = 0;

	if (tap_ioctl_succeeds(fd_bound, "bound: INFO", GDL_IOC_INFO, &info))
		tap_eq("bound: INFO names agent 10", 10,
		       info.bound ? info.bound_agent : 0);
	if (tap_ioctl_succeeds(fd_bound, "bound: GET_AGENT 0", GDL_IOC_GET_AGENT, &ai))
		tap_eq("bound: GET_AGENT 0 is agent 10's quota", MIB, ai.quota);
	ai.agent_id = 10;
	tap_ioctl_succeeds(fd_bound, "bound: GET_AGENT 10 (itself)", GDL_IOC_GET_AGENT, &ai);
	ai.agent_id = 11;
	tap_ioctl_fails(fd_bound, "bound: GET_AGENT 11", GDL_IOC_GET_AGENT, &ai, 0, EPERM);

	if (tap_ioctl_succeeds(fd_bound, "bound: ALLOC agent 0", GDL_IOC_ALLOC, &a))
		own = a.alloc_id;
	a.agent_id = 10;
	tap_ioctl_succeeds(fd_bound, "bound: ALLOC agent 10 (kept for the parent)", GDL_IOC_ALLOC, &a);
	a.agent_id = 11;
	tap_ioctl_fails(fd_bound, "bound: ALLOC agent 11", GDL_IOC_ALLOC, &a, 0, EPERM);
	if (tap_ioctl_succeeds(fd_bound, "bound: SWARM_GPU_ALLOC agent 0", SWARM_GPU_ALLOC, &sa))
		legacy = sa.alloc_id;

	if (tap_ioctl_succeeds(fd_bound, "bound: CHECK agent 0", GDL_IOC_CHECK, &c))
		tap_eq("bound: own grant allowed", GDL_CHECK_ALLOWED, c.result);
	c.addr = 0x5000;
	if (tap_ioctl_succeeds(fd_bound, "bound: CHECK agent 11's range", GDL_IOC_CHECK, &c))
		tap_eq("bound: another agent's grant denied", GDL_CHECK_DENIED,
		       c.result);
	c.agent_id = 11;
	tap_ioctl_fails(fd_bound, "bound: CHECK naming agent 11", GDL_IOC_CHECK, &c, 0, EPERM);
	if (tap_ioctl_succeeds(fd_bound, "bound: CHECK_BATCH agent 0", GDL_IOC_CHECK_BATCH, &cb))
		tap_eq("bound: batch allowed only its own range", 1,
		       cb.allowed);
	cb.agent_id = 11;
	tap_ioctl_fails(fd_bound, "bound: CHECK_BATCH naming agent 11", GDL_IOC_CHECK_BATCH, &cb, 0, EPERM);
	if (tap_ioctl_succeeds(fd_bound, "bound: SWARM_DMA_CHECK_PERM", SWARM_DMA_CHECK_PERM, &sc))
		tap_eq("bound: legacy check allowed", 1, sc.allowed);

	f.alloc_id = id11;
	tap_ioctl_fails(fd_bound, "bound: FREE agent 11's allocation", GDL_IOC_FREE, &f, 0, EPERM);
	errno = 0;
	tap_eq("bound: SWARM_GPU_FREE agent 11's allocation refused", EPERM,
	       ioctl(fd_bound, SWARM_GPU_FREE, id11) ? errno : 0);
	f.alloc_id = own;
	tap_ioctl_succeeds(fd_bound, "bound: FREE its own allocation", GDL_IOC_FREE, &f);
	tap_eq("bound: SWARM_GPU_FREE its own allocation", 0,
	       ioctl(fd_bound, SWARM_GPU_FREE, legacy));
}

/* Configuration needs CAP_SYS_ADMIN now, whoever opened or bound the file. */
static void child_admin_only(void)
{
	static const struct { const char *name; int *fd; } files[] = {
		{ "bound", &fd_bound }, { "unbound", &fd_unbound },
		{ "root-opened", &fd_admin },
	};
	struct gdl_agent_cfg cfg = { .agent_id = 10, .quota = 1ull << 40,
				     .device_mask = 1 };
	struct gdl_agent_ref ref = { .agent_id = 11 };
	struct gdl_grant g = { .agent_id = 10, .addr = 0x9000,
			       .length = 0x1000, .mode = GDL_DMA_RW };
	struct gdl_grant rv = { .agent_id = 10, .addr = 0x1000,
				.length = 0x1000, .mode = GDL_DMA_RW };
	struct gdl_bind b = { .agent_id = 11 };
	struct gdl_bind unbind = { .agent_id = 0 };
	struct swarm_gpu_quota sq = { .agent_id = 10, .memory_limit = 1ull << 40 };
	struct swarm_dma_grant sg = { .agent_id = 10, .dma_addr = 0x9000,
				      .size = 0x1000,
				      .permissions = SWARM_ACCESS_WRITE };
	char what[96];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		int fd = *files[i].fd;

#define REFUSED(cmd, arg)						\
		do {							\
			snprintf(what, sizeof(what), "%s: %s",		\
				 files[i].name, #cmd);			\
			tap_ioctl_fails(fd, what, cmd, arg, 0, EPERM);	\
		} while (0)
		REFUSED(GDL_IOC_SET_AGENT, &cfg);
		REFUSED(GDL_IOC_REMOVE_AGENT, &ref);
		REFUSED(GDL_IOC_GRANT, &g);
		REFUSED(GDL_IOC_REVOKE, &rv);
		REFUSED(GDL_IOC_BIND, &b);
		REFUSED(GDL_IOC_BIND, &unbind);
		REFUSED(SWARM_GPU_SET_QUOTA, &sq);
		REFUSED(SWARM_DMA_GRANT_PERM, &sg);
#undef REFUSED
	}
	/* Validation comes before the permission check. */
	b.pad = 1;
	tap_ioctl_fails(fd_bound, "bound: BIND with pad != 0 is invalid before refused", GDL_IOC_BIND, &b, 0, EINVAL);
}

static void child_proc(void)
{
	static const char *const writable[] = { "control", "dma_permissions" };
	char path[128];
	unsigned int i;
	int fd;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), GDL_PROC_DIR "/%s", writable[i]);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			tap_not_ok(path, "opened for writing by uid 65534");
			close(fd);
		} else {
			tap_eq("unprivileged open for writing refused (EACCES)",
			       EACCES, errno);
		}
	}
	/* Listings of other agents are root-only (docs/proc.md). */
	fd = open(GDL_PROC_DIR "/quotas", O_RDONLY);
	tap_eq("unprivileged read of quotas refused", 0, fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = open(GDL_PROC_DIR "/stats", O_RDONLY);
	tap_eq("unprivileged read of stats allowed", 1, fd >= 0);
	if (fd >= 0)
		close(fd);
}

/* The child, as uid 65534 holding the three files. */
static void child(void *id11)
{
	tap_ok("child runs as uid 65534 holding three open files");
	child_unbound(*(uint64_t *)id11);
	child_bound(*(uint64_t *)id11);
	child_admin_only();
	child_proc();
}

static void verify_nothing_changed(uint64_t id11)
{
	struct gdl_agent_info ai = { .agent_id = 10 };
	struct gdl_check c = { .agent_id = 10, .addr = 0x1000, .length = 0x1000,
			       .mode = GDL_DMA_RW };
	struct gdl_free f = { .alloc_id = id11 };

	if (ioctl(fd_admin, GDL_IOC_GET_AGENT, &ai))
		die("GET_AGENT 10: %s", strerror(errno));
	tap_eq("agent 10's quota unchanged", MIB, ai.quota);
	tap_eq("agent 10 holds only the allocation left for the parent", 4096,
	       ai.used);
	tap_eq("agent 10 still has its one grant", 1, ai.grants);
	ai.agent_id = 11;
	tap_eq("agent 11 still exists", 0,
	       ioctl(fd_admin, GDL_IOC_GET_AGENT, &ai));
	tap_eq("agent 11's allocation survived", 4096, ai.used);
	c.agent_id = 10;
	tap_eq("agent 10's grant was not revoked", 0,
	       ioctl(fd_admin, GDL_IOC_CHECK, &c));
	tap_eq("agent 10's grant still allows", GDL_CHECK_ALLOWED, c.result);
	c.addr = 0x9000;
	ioctl(fd_admin, GDL_IOC_CHECK, &c);
	tap_eq("no grant was added for agent 10", GDL_CHECK_DENIED, c.result);

	close(fd_bound);
	ai.agent_id = 10;
	ioctl(fd_admin, GDL_IOC_GET_AGENT, &ai);
	tap_eq("closing the bound file released agent 10's allocation", 0,
	       ai.used);
	tap_eq("root frees agent 11's allocation", 0,
	       ioctl(fd_admin, GDL_IOC_FREE, &f));
}

int main(void)
{
	struct vm_two_agents scene;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd_admin = gdl_open();
	vm_two_agents_setup(fd_admin, &scene);
	fd_bound = scene.fd_bound;
	fd_unbound = scene.fd_unbound;
	vm_as_nobody(child, &scene.id11);
	verify_nothing_changed(scene.id11);
	close(fd_unbound);
	close(fd_admin);
	return tap_exit();
}
