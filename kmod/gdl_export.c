// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_export.c - gpu_dma_lock_check() for other kernel modules
 *
 * See gpu_dma_lock_kapi.h.  A module that calls this depends on
 * gpu_dma_lock.ko, so the loader keeps us loaded (and gdl.core alive) for
 * as long as the caller is: no reference counting is needed here.
 */
#include <linux/export.h>

#include "gdl_module.h"
#include "gpu_dma_lock_kapi.h"

int gpu_dma_lock_check(u64 agent_id, u32 device, u64 addr, u64 length,
		       u32 mode)
{
	if (!agent_id)
		return -EINVAL;
	return gdl_check(gdl.core, agent_id, device, addr, length, mode);
}
EXPORT_SYMBOL_GPL(gpu_dma_lock_check);
