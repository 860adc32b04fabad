// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cuda_standin.c - libcuda_standin.so: the eight CUDA driver calls
 * gpu-dma-lock probes, without a GPU.
 *
 * Allocations hand out fake device pointers from a bump counter (256-byte
 * aligned, like the driver's), frees check nothing but a zero pointer.  The
 * point is the ABI: uprobes see the same arguments, out-pointers and return
 * values as with the real driver.  noinline + default visibility keep each
 * entry point a real, probe-able function.
 */
#include <stdatomic.h>
#include "cuda_standin.h"

#define EXPORT __attribute__((visibility("default"), noinline))

/* Looks like a device address and is never 0. */
static _Atomic unsigned long long next_ptr = 0x7f0000000000ull;

static CUdeviceptr fake_alloc(size_t bytes)
{
	return atomic_fetch_add(&next_ptr, (bytes + 255) & ~255ull);
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	if (!dptr || !bytesize)
		return CUDA_ERROR_INVALID_VALUE;
	*dptr = fake_alloc(bytesize);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize,
				  unsigned int flags)
{
	if (!dptr || !bytesize || !flags)
		return CUDA_ERROR_INVALID_VALUE;
	*dptr = fake_alloc(bytesize);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch,
				   size_t WidthInBytes, size_t Height,
				   unsigned int ElementSizeBytes)
{
	size_t pitch;

	if (!dptr || !pPitch || !WidthInBytes || !Height ||
	    (ElementSizeBytes != 4 && ElementSizeBytes != 8 &&
	     ElementSizeBytes != 16))
		return CUDA_ERROR_INVALID_VALUE;
	pitch = (WidthInBytes + 511) & ~(size_t)511;	/* padded rows */
	*pPitch = pitch;
	*dptr = fake_alloc(pitch * Height);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize,
				CUstream hStream)
{
	(void)hStream;	/* stream-ordered in the driver; immediate here */
	if (!dptr || !bytesize)
		return CUDA_ERROR_INVALID_VALUE;
	*dptr = fake_alloc(bytesize);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
			    const CUmemAllocationProp *prop,
			    unsigned long long flags)
{
	(void)prop;
	if (!handle || !size || flags)
		return CUDA_ERROR_INVALID_VALUE;
	/* Handles are opaque, not addresses: a distinct range. */
	*handle = 0x100000ull + (fake_alloc(size) >> 8);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr)
{
	return dptr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)
{
	(void)hStream;
	return dptr ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
	return handle ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
