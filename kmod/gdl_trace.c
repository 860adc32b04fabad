// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_trace.c - instantiates the gpu_dma_lock tracepoints (gdl_trace.h)
 *
 * The events are fired from the core through gdl_trace() in
 * gdl_env_kernel.h; this file only creates them, once.
 */
#include <linux/moduleparam.h>
#include <linux/percpu.h>

#include "gdl_trace_sample.h"

#define CREATE_TRACE_POINTS
#include "gdl_trace.h"

/*
 * Sampling of allowed checks, here rather than in the BPF program: a
 * check the program would drop still paid for the event (the record, the
 * caller's cgroup, the call into BPF), about a quarter of a CHECK ioctl.
 * Skipped checks are counted (checks_untraced in /proc/swarm/gpu/stats),
 * so a consumer's accounting stays exact.  Denials and every other kind of
 * decision always reach their events.
 */
unsigned int gdl_trace_check_every __read_mostly = 1;
DEFINE_PER_CPU(u32, gdl_trace_check_left);
DEFINE_PER_CPU(u64, gdl_checks_untraced);

static int gdl_trace_check_every_set(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, GDL_TRACE_CHECK_EVERY_MAX);
}

static const struct kernel_param_ops gdl_trace_check_every_ops = {
	.set = gdl_trace_check_every_set,
	.get = param_get_uint,
};
module_param_cb(trace_check_every, &gdl_trace_check_every_ops,
		&gdl_trace_check_every, 0644);
MODULE_PARM_DESC(trace_check_every,
		 "1 in N allowed DMA checks reaches the gdl_check event and the gdl_batch batches; the rest are counted in checks_untraced (1.." __stringify(GDL_TRACE_CHECK_EVERY_MAX) ", default: 1, all)");

u64 gdl_checks_untraced_sum(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(gdl_checks_untraced, cpu));
	return sum;
}
