// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_ioctl_swarm.c - the prototype's SWARM_* commands, kept bit for bit
 *
 * Existing userspace keeps working: the same numbers and structs, now with
 * the same rules as the current ABI (identity, reserved fields, errors).
 * DMA commands act on device 0; SWARM_GPU_FREE takes the id by value.
 */
#include <linux/uaccess.h>

#include "gdl_ioctl.h"
#include "gdl_check.h"	/* the prototype's CHECK: the same inline path */

static long gdl_swarm_alloc(struct gdl_file *f, void __user *argp)
{
	struct swarm_gpu_alloc __user *ua = argp;
	struct swarm_gpu_alloc a;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	return gdl_do_alloc(f, a.agent_id, a.size, a.device_id, a.flags,
			    &ua->alloc_id);
}

static long gdl_swarm_query(void __user *argp)
{
	struct swarm_gpu_query q;
	struct gdl_stats st;

	gdl_stats_read(gdl.core, &st);
	q.total_memory = st.capacity_bytes;
	q.used_memory = st.used_bytes;
	q.allocation_count = st.live_allocations;
	q.dma_checks = st.checks;
	q.quota_violations = st.quota_violations;

	return copy_to_user(argp, &q, sizeof(q)) ? -EFAULT : 0;
}

static long gdl_swarm_set_quota(void __user *argp)
{
	struct swarm_gpu_quota q;
	int ret;

	if (copy_from_user(&q, argp, sizeof(q)))
		return -EFAULT;
	if (q.pad || !q.agent_id)
		return -EINVAL;
	ret = gdl_require_admin();
	if (ret)
		return ret;

	/* The prototype had no masks: 0 means every device. */
	return gdl_agent_set(gdl.core, q.agent_id, q.memory_limit,
			     q.device_mask ? q.device_mask : gdl.all_devices);
}

static long gdl_swarm_check(struct gdl_file *f, void __user *argp)
{
	struct swarm_dma_check __user *uc = argp;
	struct swarm_dma_check c __uninitialized;
	u64 agent;
	int ret;

	if (gdl_get_arg(&c, uc))
		return -EFAULT;
	if (!gdl_request_valid(c.dma_addr, c.size, c.access_type))
		return -EINVAL;
	ret = gdl_act_as(f, c.agent_id, &agent);
	if (ret)
		return ret;

	ret = gdl_check_valid(gdl.core, agent, 0, c.dma_addr, c.size,
			      c.access_type);
	return gdl_put_u32((u32)ret, &uc->allowed);
}

static long gdl_swarm_grant(void __user *argp)
{
	struct swarm_dma_grant g;
	int ret;

	if (copy_from_user(&g, argp, sizeof(g)))
		return -EFAULT;
	if (g.pad || !g.agent_id ||
	    !gdl_request_valid(g.dma_addr, g.size, g.permissions))
		return -EINVAL;
	ret = gdl_require_admin();
	if (ret)
		return ret;

	/* An unknown agent is created as an allocation would (core). */
	return gdl_grant(gdl.core, g.agent_id, 0, g.dma_addr, g.size,
			 g.permissions);
}

/**
 * gdl_swarm_ioctl() - one SWARM_* command
 * @f:   the caller's open file
 * @cmd: the ioctl command
 * @arg: the ioctl argument (a pointer, or SWARM_GPU_FREE's id)
 *
 * Return: the command's result, or -ENOTTY if @cmd is not a SWARM_* command.
 */
long gdl_swarm_ioctl(struct gdl_file *f, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SWARM_GPU_ALLOC:
		return gdl_swarm_alloc(f, argp);
	case SWARM_GPU_FREE:
		/* The id travels by value, not behind a pointer. */
		return gdl_do_free(f, arg);
	case SWARM_GPU_QUERY:
		return gdl_swarm_query(argp);
	case SWARM_GPU_SET_QUOTA:
		return gdl_swarm_set_quota(argp);
	case SWARM_DMA_CHECK_PERM:
		return gdl_swarm_check(f, argp);
	case SWARM_DMA_GRANT_PERM:
		return gdl_swarm_grant(argp);
	default:
		return -ENOTTY;
	}
}
