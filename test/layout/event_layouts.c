// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * event_layouts.c - print the C layout of every event record as JSON
 *
 * test/unit/events-layout.test.ts compiles this with the host compiler,
 * runs it, and compares every size and offset with the TypeScript mirror
 * (agent/src/native/event-layouts.ts).  The BPF target lays these structs
 * out the same way: every field is naturally aligned and explicitly padded.
 */
#include <stddef.h>
#include <stdio.h>
#include "gdl_events.h"

static int first_struct = 1, first_field;

static void begin(const char *name, size_t size)
{
	printf("%s\n  \"%s\": {\"size\": %zu, \"fields\": {",
	       first_struct ? "" : ",", name, size);
	first_struct = 0;
	first_field = 1;
}

static void field(const char *name, size_t offset, size_t size)
{
	printf("%s\"%s\": {\"offset\": %zu, \"size\": %zu}",
	       first_field ? "" : ", ", name, offset, size);
	first_field = 0;
}

static void end(void)
{
	printf("}}");
}

#define FIELD(type, member, name) \
	field(name, offsetof(type, member), sizeof(((type *)0)->member))

static void constant(const char *name, long value, int last)
{
	printf("    \"%s\": %ld%s\n", name, value, last ? "" : ",");
}
#define CONST(c) constant(#c, (long)(c), 0)
#define LAST_CONST(c) constant(#c, (long)(c), 1)

int main(void)
{
	printf("{\"structs\": {");

	begin("gdl_event_hdr", sizeof(struct gdl_event_hdr));
	FIELD(struct gdl_event_hdr, kind, "kind");
	FIELD(struct gdl_event_hdr, size, "size");
	FIELD(struct gdl_event_hdr, cpu, "cpu");
	FIELD(struct gdl_event_hdr, ts_ns, "ts_ns");
	end();

	begin("gdl_ev_decision", sizeof(struct gdl_ev_decision));
	FIELD(struct gdl_ev_decision, hdr, "hdr");
	FIELD(struct gdl_ev_decision, d.kind, "d.kind");
	FIELD(struct gdl_ev_decision, d.device, "d.device");
	FIELD(struct gdl_ev_decision, d.agent_id, "d.agent_id");
	FIELD(struct gdl_ev_decision, d.alloc_id, "d.alloc_id");
	FIELD(struct gdl_ev_decision, d.addr, "d.addr");
	FIELD(struct gdl_ev_decision, d.length, "d.length");
	FIELD(struct gdl_ev_decision, d.mode, "d.mode");
	FIELD(struct gdl_ev_decision, d.result, "d.result");
	FIELD(struct gdl_ev_decision, d.used, "d.used");
	FIELD(struct gdl_ev_decision, d.quota, "d.quota");
	FIELD(struct gdl_ev_decision, d.cgroup_id, "d.cgroup_id");
	FIELD(struct gdl_ev_decision, pid, "pid");
	FIELD(struct gdl_ev_decision, tgid, "tgid");
	FIELD(struct gdl_ev_decision, cgroup_id, "cgroup_id");
	FIELD(struct gdl_ev_decision, comm, "comm");
	end();

	begin("gdl_ev_cuda", sizeof(struct gdl_ev_cuda));
	FIELD(struct gdl_ev_cuda, hdr, "hdr");
	FIELD(struct gdl_ev_cuda, op, "op");
	FIELD(struct gdl_ev_cuda, result, "result");
	FIELD(struct gdl_ev_cuda, ptr, "ptr");
	FIELD(struct gdl_ev_cuda, size, "size");
	FIELD(struct gdl_ev_cuda, latency_ns, "latency_ns");
	FIELD(struct gdl_ev_cuda, pid, "pid");
	FIELD(struct gdl_ev_cuda, tgid, "tgid");
	FIELD(struct gdl_ev_cuda, cgroup_id, "cgroup_id");
	FIELD(struct gdl_ev_cuda, comm, "comm");
	end();

	printf("},\n  \"constants\": {\n");
	CONST(GDL_COMM_LEN);
	CONST(GDL_EV_DECISION);
	CONST(GDL_EV_CUDA);
	CONST(GDL_DEC_ALLOC);
	CONST(GDL_DEC_ALLOC_FAIL);
	CONST(GDL_DEC_QUOTA_VIOLATION);
	CONST(GDL_DEC_FREE);
	CONST(GDL_DEC_CHECK);
	CONST(GDL_DEC_DENY);
	CONST(GDL_DEC_GRANT);
	CONST(GDL_DEC_REVOKE);
	CONST(GDL_DEC_KIND_MAX);
	CONST(GDL_CUDA_MEM_ALLOC);
	CONST(GDL_CUDA_MEM_ALLOC_MANAGED);
	CONST(GDL_CUDA_MEM_ALLOC_PITCH);
	CONST(GDL_CUDA_MEM_ALLOC_ASYNC);
	CONST(GDL_CUDA_MEM_CREATE);
	CONST(GDL_CUDA_MEM_FREE);
	CONST(GDL_CUDA_MEM_FREE_ASYNC);
	CONST(GDL_CUDA_MEM_RELEASE);
	CONST(GDL_CUDA_OP_MAX);
	CONST(GDL_CTR_LOST);
	CONST(GDL_CTR_SAMPLED_OUT);
	CONST(GDL_CTR_FILTERED);
	CONST(GDL_CTR_SEEN);
	LAST_CONST(GDL_CTR_MAX);
	printf("  }\n}\n");
	return 0;
}
