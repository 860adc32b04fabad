/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cuda_standin.h - what the stand-in driver (libcuda_standin.so, SONAME
 * libcuda.so.1) implements: the CUDA driver API slice of cuda/cuda_api.h,
 * with NVIDIA's signatures, plus one test-only query.
 */
#ifndef CUDA_STANDIN_H
#define CUDA_STANDIN_H

#include "../../cuda/cuda_api.h"

/*
 * Test-only: bytes and allocations the stand-in holds on device @dev now
 * (device memory of every kind: plain, pitch, managed, async and pool,
 * VMM handles alive, arrays, graph memory nodes).  Pinned host memory is
 * counted on dev -1.
 */
CUresult standin_live(int dev, unsigned long long *bytes, unsigned int *count);

#endif /* CUDA_STANDIN_H */
