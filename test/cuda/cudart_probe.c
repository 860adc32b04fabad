// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cudart_probe.c - a CUDA runtime program, built at test time against
 * NVIDIA's libcudart.so.11.0 from the cache (test/cuda/real-libcuda.sh):
 * starting the runtime makes it dlopen libcuda.so.1 and look up its ~380
 * driver entries through cuGetProcAddress, as every CUDA program does.
 * The runtime's declarations are NVIDIA's (cuda_runtime_api.h).
 */
#include <stddef.h>
#include <stdio.h>

int cudaGetDeviceCount(int *count);
int cudaMalloc(void **p, size_t size);
int cudaMemGetInfo(size_t *free, size_t *total);

int main(void)
{
	size_t f, t;
	void *p;
	int n = -1;

	printf("cudaGetDeviceCount %d\n", cudaGetDeviceCount(&n));
	printf("cudaMalloc %d\n", cudaMalloc(&p, 1 << 20));
	printf("cudaMemGetInfo %d\n", cudaMemGetInfo(&f, &t));
	return 0;
}
