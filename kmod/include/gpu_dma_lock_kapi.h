/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gpu_dma_lock_kapi.h - what gpu_dma_lock.ko offers other kernel modules
 *
 * A GPU or RDMA driver that wants its DMA mappings governed asks before it
 * maps.  Depending on the symbol makes the module loader pin gpu_dma_lock
 * while the caller is loaded, so the answer always comes from a live module.
 */
#ifndef _GPU_DMA_LOCK_KAPI_H
#define _GPU_DMA_LOCK_KAPI_H

#include <linux/types.h>

/**
 * gpu_dma_lock_check() - may @agent_id DMA to [addr, addr + length)?
 * @agent_id: nonzero agent id
 * @device:   device index (see /proc/swarm/gpu/devices)
 * @addr:     first byte of the range
 * @length:   bytes, nonzero; addr + length must not overflow
 * @mode:     GDL_DMA_READ and/or GDL_DMA_WRITE, nonzero
 *
 * Lock-free (RCU): callable from any context an RCU reader may run in,
 * atomic context included.  Counted and traced like GDL_IOC_CHECK.
 *
 * Return: 1 allowed, 0 denied (unknown agents and devices are denied),
 * -EINVAL for a malformed request (agent 0, zero length, overflow, bad mode).
 */
int gpu_dma_lock_check(u64 agent_id, u32 device, u64 addr, u64 length,
		       u32 mode);

#endif /* _GPU_DMA_LOCK_KAPI_H */
