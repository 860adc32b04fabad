// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_trace.c - instantiates the gpu_dma_lock tracepoints (gdl_trace.h)
 *
 * The events are fired from the core through gdl_trace() in
 * gdl_env_kernel.h; this file only creates them, once.
 */
#define CREATE_TRACE_POINTS
#include "gdl_trace.h"
