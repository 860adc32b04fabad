// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cuda_bench.c - cost of one cuMemAlloc_v2 + cuMemFree_v2 pair and of one
 * non-memory driver call (cuCtxGetDevice, looked up through
 * cuGetProcAddress as the runtime does), against the stand-in driver.  Run
 * it with and without LD_PRELOAD=libgdl_cuda.so; the difference is the
 * interposer's.  Prints "pair_ns=N call_ns=N getppid_ns=N".  A benchmark,
 * not a test: no assertion on the numbers.
 *
 *   cuda_bench [PAIRS]     (default 100000)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "cuda_standin.h"

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	CUresult (*gpa)(const char *, void **, int, cuuint64_t);
	CUresult (*get_device)(CUdevice *);
	CUcontext ctx;
	CUdevice d;
	CUdeviceptr p;
	double t0, pair, call, ppid;

	if (cuInit(0) || cuCtxCreate_v2(&ctx, 0, 0))
		return 1;
	gpa = (CUresult (*)(const char *, void **, int, cuuint64_t))dlsym(dlopen("libcuda.so.1", RTLD_NOW), "cuGetProcAddress");
	if (!gpa || gpa("cuCtxGetDevice", (void **)&get_device, 12020, 0))
		return 1;
	for (long i = 0; i < n / 10; i++)	/* warm: connection, device map */
		if (cuMemAlloc_v2(&p, 4096) || cuMemFree_v2(p))
			return 1;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (cuMemAlloc_v2(&p, 4096) || cuMemFree_v2(p))
			return 1;
	pair = (now_ns() - t0) / n;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		get_device(&d);
	call = (now_ns() - t0) / n;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		getppid();
	ppid = (now_ns() - t0) / n;
	printf("pair_ns=%.0f call_ns=%.1f getppid_ns=%.0f\n", pair, call, ppid);
	return 0;
}
