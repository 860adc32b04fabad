/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cuda_standin.h - the slice of the CUDA driver API (cuda.h) that
 * gpu-dma-lock probes, with the real signatures and types, so the stand-in
 * library is probed exactly as a real libcuda.so.1 would be.
 */
#ifndef CUDA_STANDIN_H
#define CUDA_STANDIN_H

#include <stddef.h>

typedef int CUresult;			/* enum cudaError_enum */
typedef unsigned long long CUdeviceptr;	/* CUdeviceptr_v2 */
typedef unsigned long long CUmemGenericAllocationHandle;
typedef struct CUstream_st *CUstream;
typedef struct CUmemAllocationProp_st CUmemAllocationProp;

#define CUDA_SUCCESS			0
#define CUDA_ERROR_INVALID_VALUE	1
#define CU_MEM_ATTACH_GLOBAL		0x1

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize,
			   unsigned int flags);
CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch,
			    size_t WidthInBytes, size_t Height,
			    unsigned int ElementSizeBytes);
CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize,
			 CUstream hStream);
CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
		     const CUmemAllocationProp *prop,
		     unsigned long long flags);
CUresult cuMemFree_v2(CUdeviceptr dptr);
CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream);
CUresult cuMemRelease(CUmemGenericAllocationHandle handle);

#endif /* CUDA_STANDIN_H */
