// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_batch.bpf.c - every decision of gpu_dma_lock.ko into the event ring,
 * in the module's batches
 *
 * While a program is on the module's gdl_batch event, the module writes
 * each decision's ring record itself into a per-CPU batch (struct
 * gdl_ev_batch, uapi/gdl_events.h) and fires the event once per batch
 * (kmod/gdl_batch.c).  This program copies the batch into one ring record:
 * per decision, that costs the module's record and a share of one copy,
 * where gdl_module.bpf.o pays a tracepoint call and a ring reservation for
 * each.  It takes every decision: a loader that filters, samples in BPF or
 * wants some kinds only uses gdl_module.bpf.o.
 *
 * tp_btf: the copy is gdl_batch_copy(), the module's kfunc (one string
 * move).  Built with -DGDL_RAW_TP into gdl_batch_raw.bpf.o for a module
 * without BTF, hence without kfuncs: the copy is bpf_probe_read_kernel()
 * through the event's pointer, about seven times the instructions.
 */
#include "gdl_common.bpf.h"

#ifdef GDL_RAW_TP
#define GDL_TP_SECTION "raw_tp/"
#else
#define GDL_TP_SECTION "tp_btf/"
extern __u32 gdl_batch_copy(void *dst, __u32 dst__sz) __ksym;
#endif

/* A batch of @n decisions, header included. */
#define BATCH_BYTES(n) \
	(__builtin_offsetof(struct gdl_ev_batch, ev) + (n) * sizeof(struct gdl_ev_decision))

/*
 * The batch's @n decisions into a ring record of @cap's size: the ring
 * wants a constant size, so a batch takes the smallest of a few that holds
 * it (a timer's batch is often small).
 */
static __always_inline int batch_out(const __u64 *ctx, __u32 n, const __u32 cap)
{
	struct gdl_ev_batch *rec;
	__u32 got;

	rec = bpf_ringbuf_reserve(&events, BATCH_BYTES(cap), 0);
	if (!rec) {
		count_n(GDL_CTR_LOST, n);
		return 0;
	}
#ifdef GDL_RAW_TP
	got = bpf_probe_read_kernel(rec, BATCH_BYTES(n), (const void *)ctx[0]) ? 0 : n;
#else
	got = gdl_batch_copy(rec, BATCH_BYTES(cap));
#endif
	if (!got) {
		bpf_ringbuf_discard(rec, 0);
		count_n(GDL_CTR_LOST, n);
		return 0;
	}
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

/* ctx: the batch, its count, its dropped (kmod/gdl_trace.h). */
SEC(GDL_TP_SECTION "gdl_batch")
int gdl_batch(__u64 *ctx)
{
	__u32 n = ctx[1], dropped = ctx[2];

	/* Decisions the module could not gather (NMI): seen, and lost. */
	if (dropped) {
		count_n(GDL_CTR_SEEN, dropped);
		count_n(GDL_CTR_LOST, dropped);
	}
	if (n == 0 || n > GDL_BATCH_EVENTS)
		return 0;
	count_n(GDL_CTR_SEEN, n);
	if (n <= 4)
		return batch_out(ctx, n, 4);
	if (n <= 16)
		return batch_out(ctx, n, 16);
	if (n <= GDL_BATCH_EVENTS / 2)
		return batch_out(ctx, n, GDL_BATCH_EVENTS / 2);
	return batch_out(ctx, n, GDL_BATCH_EVENTS);
}
