// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_legacy.c - the prototype's SWARM_* commands, as root
 *
 * Expects a freshly loaded module with fake_gpus=2 fake_gpu_mem=1073741824
 * (test/kernel/cases/11-ioctl-legacy.sh).  Structs start as a 0xA5 pattern;
 * a failing call must leave them exactly as they were.
 */
#include "vm_tool.h"

#define GIB	(1ull << 30)
#define MIB	(1ull << 20)
#define PAT	0xa5

static int fd;

static struct swarm_gpu_query query(void)
{
	struct swarm_gpu_query q;

	memset(&q, PAT, sizeof(q));
	if (ioctl(fd, SWARM_GPU_QUERY, &q))
		die("SWARM_GPU_QUERY: %s", strerror(errno));
	return q;
}

static struct swarm_dma_check mk_check(uint64_t agent, uint64_t addr,
				       uint64_t size, uint32_t access)
{
	struct swarm_dma_check c;

	memset(&c, PAT, sizeof(c));
	c.agent_id = agent;
	c.dma_addr = addr;
	c.size = size;
	c.access_type = access;
	return c;
}

int main(void)
{
	struct swarm_gpu_quota sq;
	struct swarm_gpu_alloc a;
	struct swarm_gpu_query q;
	struct swarm_dma_grant g;
	static const struct tap_refusal set_quota_refused[] = {
		TAP_REFUSE(struct swarm_gpu_quota, pad, 0xa5a5a5a5u, EINVAL, "SET_QUOTA pad != 0"),
		TAP_REFUSE(struct swarm_gpu_quota, agent_id, 0, EINVAL, "SET_QUOTA agent 0"),
	};
	static const struct tap_refusal grant_perm_refused[] = {
		TAP_REFUSE(struct swarm_dma_grant, pad, 0xa5a5a5a5u, EINVAL, "GRANT_PERM pad != 0"),
		TAP_REFUSE(struct swarm_dma_grant, size, 0, EINVAL, "GRANT_PERM size 0"),
		TAP_REFUSE(struct swarm_dma_grant, permissions, 0, EINVAL, "GRANT_PERM permissions 0"),
		TAP_REFUSE(struct swarm_dma_grant, agent_id, 0, EINVAL, "GRANT_PERM agent 0"),
	};
	/* CHECK_PERMs the kernel answers: the call, then its answer. */
	static const struct answered_check {
		uint64_t agent, addr, size;
		uint32_t access, allowed;
		const char *call, *verdict;
	} answered[] = {
		{ 3, 0x100000, 0x2000, SWARM_ACCESS_READ, 1,
		  "CHECK_PERM read inside", "read inside allowed" },
		{ 3, 0x100000, 0x2000, SWARM_ACCESS_WRITE, 0,
		  "CHECK_PERM write inside", "write inside denied" },
		{ 3, 0x101000, 0x2000, SWARM_ACCESS_READ, 0,
		  "CHECK_PERM read past the end", "read past the end denied" },
		{ 4, 0x100000, 0x10, SWARM_ACCESS_READ, 0,
		  "CHECK_PERM unknown agent", "unknown agent denied" },
	};
	struct swarm_dma_check c;
	struct gdl_agent_info ai;
	uint64_t id;
	size_t i;

	fd = open(GDL_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", GDL_DEV_PATH, strerror(errno));

	q = query();
	tap_eq("QUERY total_memory = 2 fake GPUs", 2 * GIB, q.total_memory);
	tap_eq("QUERY used_memory 0", 0, q.used_memory);
	tap_eq("QUERY allocation_count 0", 0, q.allocation_count);

	memset(&sq, PAT, sizeof(sq));
	sq.agent_id = 3;
	sq.memory_limit = MIB;
	sq.device_mask = 0;
	sq.pad = 0;
	TAP_REFUSALS(fd, SWARM_GPU_SET_QUOTA, sq, set_quota_refused);
	tap_ioctl_succeeds(fd, "SET_QUOTA agent 3, 1 MiB, mask 0", SWARM_GPU_SET_QUOTA, &sq);
	memset(&ai, 0, sizeof(ai));
	ai.agent_id = 3;
	ioctl(fd, GDL_IOC_GET_AGENT, &ai);
	tap_eq("legacy mask 0 means every device", 3, ai.device_mask);
	tap_eq("legacy quota set", MIB, ai.quota);

	memset(&a, PAT, sizeof(a));
	a.agent_id = 3;
	a.size = 4096;
	a.device_id = 1;
	a.flags = 0x4;
	tap_ioctl_fails(fd, "ALLOC unknown flag", SWARM_GPU_ALLOC, &a, sizeof(a), EINVAL);
	a.flags = 0;
	a.size = 2 * MIB;
	tap_ioctl_fails(fd, "ALLOC beyond quota", SWARM_GPU_ALLOC, &a, sizeof(a), EDQUOT);
	a.size = 0;
	tap_ioctl_fails(fd, "ALLOC size 0", SWARM_GPU_ALLOC, &a, sizeof(a), EINVAL);
	a.size = 4096;
	id = 0;
	if (tap_ioctl_succeeds(fd, "ALLOC 4096 on device 1", SWARM_GPU_ALLOC, &a))
		id = a.alloc_id;
	tap_eq("ALLOC id nonzero", 1, id != 0);
	q = query();
	tap_eq("QUERY used_memory", 4096, q.used_memory);
	tap_eq("QUERY allocation_count", 1, q.allocation_count);
	tap_eq("QUERY quota_violations", 1, q.quota_violations);

	memset(&g, PAT, sizeof(g));
	g.agent_id = 3;
	g.dma_addr = 0x100000;
	g.size = 0x2000;
	g.permissions = SWARM_ACCESS_READ;
	g.pad = 0;
	TAP_REFUSALS(fd, SWARM_DMA_GRANT_PERM, g, grant_perm_refused);
	tap_ioctl_succeeds(fd, "GRANT_PERM read [0x100000, 0x102000) on device 0", SWARM_DMA_GRANT_PERM, &g);

	for (i = 0; i < sizeof(answered) / sizeof(answered[0]); i++) {
		const struct answered_check *a = &answered[i];

		c = mk_check(a->agent, a->addr, a->size, a->access);
		if (tap_ioctl_succeeds(fd, a->call, SWARM_DMA_CHECK_PERM, &c))
			tap_eq(a->verdict, a->allowed, c.allowed);
	}
	c = mk_check(3, 0x100000, 0x10, 0);
	tap_ioctl_fails(fd, "CHECK_PERM access 0", SWARM_DMA_CHECK_PERM, &c, sizeof(c), EINVAL);
	c = mk_check(3, 0x100000, 0, SWARM_ACCESS_READ);
	tap_ioctl_fails(fd, "CHECK_PERM size 0", SWARM_DMA_CHECK_PERM, &c, sizeof(c), EINVAL);
	c = mk_check(0, 0x100000, 0x10, SWARM_ACCESS_READ);
	tap_ioctl_fails(fd, "CHECK_PERM agent 0 on an unbound file (root)", SWARM_DMA_CHECK_PERM, &c, sizeof(c), EINVAL);
	q = query();
	tap_eq("QUERY dma_checks counts the checks", 4, q.dma_checks);

	errno = 0;
	tap_eq("FREE by value", 0, ioctl(fd, SWARM_GPU_FREE, id));
	errno = 0;
	tap_eq("FREE by value again fails", -1,
	       ioctl(fd, SWARM_GPU_FREE, id));
	tap_eq("FREE again: ENOENT", ENOENT, errno);
	q = query();
	tap_eq("QUERY used_memory after FREE", 0, q.used_memory);
	tap_eq("QUERY allocation_count after FREE", 0, q.allocation_count);

	errno = 0;
	tap_eq("command 7 of the prototype's magic is unknown", -1,
	       ioctl(fd, _IO(GDL_IOC_MAGIC, 7), 0));
	tap_eq("command 7: ENOTTY", ENOTTY, errno);
	close(fd);
	return tap_exit();
}
