/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_trace_sample.h - 1 in trace_check_every allowed checks reaches the
 * gdl_check event (gdl_trace.c has the parameter and why)
 */
#ifndef GDL_TRACE_SAMPLE_H
#define GDL_TRACE_SAMPLE_H

#include <linux/percpu.h>
#include <linux/types.h>

#define GDL_TRACE_CHECK_EVERY_MAX	1000000

extern unsigned int gdl_trace_check_every;
DECLARE_PER_CPU(u32, gdl_trace_check_left);
DECLARE_PER_CPU(u64, gdl_checks_untraced);

/* Allowed checks skipped since load, summed over CPUs. */
u64 gdl_checks_untraced_sum(void);

/*
 * Called only while the gdl_check event is enabled.  A per-CPU countdown:
 * no shared line, no division.  A preemption between the decrement and the
 * reset only shifts the cycle; every call is either traced or counted, so
 * traced + untraced is exact.
 */
static __always_inline bool gdl_trace_check_kept(void)
{
	u32 every = READ_ONCE(gdl_trace_check_every);

	if (likely(every <= 1))
		return true;
	if (this_cpu_dec_return(gdl_trace_check_left) < every) {
		this_cpu_inc(gdl_checks_untraced);
		return false;
	}
	this_cpu_write(gdl_trace_check_left, every - 1);
	return true;
}

#endif /* GDL_TRACE_SAMPLE_H */
