// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cuda_realcheck.c - what a program gets from NVIDIA's libcuda.so.1, line by
 * line, so that a run under the interposer can be diffed against a run
 * without it (test/cuda/real-libcuda.sh).  Never run it as root: the real
 * driver then tries to create /dev/nvidia* and load NVIDIA's module.
 *
 *   cuda_realcheck lookups < NAMES   for every name on stdin (one a line):
 *       dlsym NAME -> LIB SYM OFFSET
 *       gpa NAME VERSION FLAGS -> RESULT LIB SYM OFFSET
 *     for cuGetProcAddress (found with dlsym, as the CUDA runtime does) at
 *     versions 2000, 3020, 11080, 12020 and flags 0, 1, 2.  LIB is the file
 *     that holds the answer (libcuda.so.1 or libgdl_cuda.so), SYM the
 *     exported name dladdr() gives it, OFFSET its offset in that file.
 *   cuda_realcheck errors            cuInit, then memory calls without a
 *     context: "NAME RESULT" lines (the driver's codes, unchanged).
 */
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include "../../cuda/cuda_api.h"

typedef CUresult (*gpa_fn)(const char *, void **, int, cuuint64_t);

static void where(void *p)
{
	Dl_info di;

	if (!p || !dladdr(p, &di) || !di.dli_fname) {
		printf(" - - 0\n");
		return;
	}
	printf(" %s %s %#lx\n", basename((char *)di.dli_fname), di.dli_sname ? di.dli_sname : "?",
	       (unsigned long)((char *)p - (char *)di.dli_fbase));
}

int main(int argc, char **argv)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	static const int versions[] = { 2000, 3020, 11080, 12020 };
	char name[256];

	if (!h) {
		fprintf(stderr, "cuda_realcheck: %s\n", dlerror());
		return 1;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc == 2 && !strcmp(argv[1], "lookups")) {
		gpa_fn gpa = (gpa_fn)dlsym(h, "cuGetProcAddress");

		if (!gpa)
			return 1;
		while (scanf("%255s", name) == 1) {
			printf("dlsym %s ->", name);
			where(dlsym(h, name));
			for (unsigned int v = 0; v < sizeof(versions) / sizeof(versions[0]); v++)
				for (int f = 0; f <= 2; f++) {
					void *p = NULL;
					CUresult r = gpa(name, &p, versions[v], (cuuint64_t)f);

					printf("gpa %s %d %d -> %d", name, versions[v], f, r);
					where(r ? NULL : p);
				}
		}
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "errors")) {
		CUresult (*init)(unsigned int) = (CUresult (*)(unsigned int))dlsym(h, "cuInit");
		CUresult (*alloc)(CUdeviceptr *, size_t) =
			(CUresult (*)(CUdeviceptr *, size_t))dlsym(h, "cuMemAlloc_v2");
		CUresult (*info)(size_t *, size_t *) = (CUresult (*)(size_t *, size_t *))dlsym(h, "cuMemGetInfo_v2");
		CUresult (*create)(CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *,
				   unsigned long long) =
			(CUresult (*)(CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *,
				      unsigned long long))dlsym(h, "cuMemCreate");
		CUmemAllocationProp prop = { .type = CU_MEM_ALLOCATION_TYPE_PINNED,
					     .location = { CU_MEM_LOCATION_TYPE_DEVICE, 0 } };
		CUmemGenericAllocationHandle mh;
		CUdeviceptr p;
		size_t f, t;

		printf("cuInit %d\n", init(0));
		printf("cuMemAlloc_v2 %d\n", alloc(&p, 1 << 20));
		printf("cuMemGetInfo_v2 %d\n", info(&f, &t));
		printf("cuMemCreate %d\n", create(&mh, 2 << 20, &prop, 0));
		return 0;
	}
	fprintf(stderr, "usage: cuda_realcheck lookups|errors\n");
	return 2;
}
