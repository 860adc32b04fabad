// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cuda_workload.c - a known pattern of CUDA allocations and frees, printed
 * as it happens so a test can compare what the uprobes saw, call by call
 * (a diff against test/kernel/bpf-probe/probe.ts --lines).
 *
 *   cuda_workload [ROUNDS]     (default 3)
 *
 * Each round calls all eight probed functions once with success, in a fixed
 * order, and leaks its cuMemAllocPitch_v2 allocation; after the rounds one
 * cuMemAlloc_v2 call fails (size 0).  Output, one line per call:
 *   cuda <op> result=<n> ptr=0x<hex> size=<n> pid=<pid> tid=<tid> comm=<comm>
 * (the event line format of test/kernel/bpf-probe/event-line.ts), then one
 * line per leaked allocation and a summary:
 *   LEAK 0x<ptr> <size>
 *   DONE pid=<pid> calls=<n> leaks=<n> leaked_bytes=<n>
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "cuda_standin.h"

static unsigned calls;
static char comm[16];

static void report(const char *op, CUresult r, unsigned long long ptr,
		   unsigned long long size)
{
	calls++;
	printf("cuda %s result=%d ptr=0x%llx size=%llu pid=%d tid=%ld comm=%s\n",
	       op, r, ptr, size, getpid(), (long)syscall(SYS_gettid), comm);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	unsigned long long leaked_bytes = 0;
	CUdeviceptr *leaks = calloc(rounds > 0 ? rounds : 1, sizeof(*leaks));
	size_t *leak_sizes = calloc(rounds > 0 ? rounds : 1, sizeof(*leak_sizes));
	CUstream stream = (CUstream)0x5;
	CUmemAllocationProp prop = {
		.type = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};
	CUcontext ctx;
	CUresult r;

	if (!leaks || !leak_sizes)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_GET_NAME, comm);
	/* Not probed, so not reported: the driver wants them first. */
	if (cuInit(0) || cuCtxCreate_v2(&ctx, 0, 0))
		return 1;
	for (int i = 0; i < rounds; i++) {
		CUdeviceptr a = 0, m = 0, p = 0, as = 0;
		CUmemGenericAllocationHandle h = 0;
		size_t pitch = 0;
		size_t sz = (size_t)(i + 1) << 20;

		r = cuMemAlloc_v2(&a, sz);
		report("cuMemAlloc_v2", r, a, sz);
		r = cuMemAllocManaged(&m, 4096, CU_MEM_ATTACH_GLOBAL);
		report("cuMemAllocManaged", r, m, 4096);
		/* 1000 x (10 + i) bytes asked; the probe reports width * height */
		r = cuMemAllocPitch_v2(&p, &pitch, 1000, 10 + i, 4);
		report("cuMemAllocPitch_v2", r, p, 1000ull * (10 + i));
		r = cuMemAllocAsync(&as, 8192, stream);
		report("cuMemAllocAsync", r, as, 8192);
		r = cuMemCreate(&h, 2 << 20, &prop, 0);
		report("cuMemCreate", r, h, 2 << 20);

		r = cuMemFree_v2(a);
		report("cuMemFree_v2", r, a, 0);
		r = cuMemFree_v2(m);
		report("cuMemFree_v2", r, m, 0);
		r = cuMemFreeAsync(as, stream);
		report("cuMemFreeAsync", r, as, 0);
		r = cuMemRelease(h);
		report("cuMemRelease", r, h, 0);

		leaks[i] = p;
		leak_sizes[i] = 1000ull * (10 + i);
		leaked_bytes += leak_sizes[i];
	}
	r = cuMemAlloc_v2(&(CUdeviceptr){0}, 0);
	report("cuMemAlloc_v2", r, 0, 0);

	for (int i = 0; i < rounds; i++)
		printf("LEAK 0x%llx %zu\n", leaks[i], leak_sizes[i]);
	printf("DONE pid=%d calls=%u leaks=%d leaked_bytes=%llu\n", getpid(),
	       calls, rounds > 0 ? rounds : 0, leaked_bytes);
	free(leaks);
	free(leak_sizes);
	return 0;
}
