// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_export_test.c - gpu_dma_lock_test.ko, a client of gpu_dma_lock_check()
 *
 * Calls the exported check the way a GPU or RDMA driver would, from another
 * module, once in process context and once with interrupts off (the check
 * is documented as usable in atomic context), and publishes both answers as
 * read-only parameters:
 *
 *   insmod gpu_dma_lock_test.ko agent=1 device=0 addr=0x10000 length=16 mode=1
 *   cat /sys/module/gpu_dma_lock_test/parameters/result{,_atomic}
 *
 * Built only for the in-guest tests (GDL_SELFTEST=1, set by kmod/Makefile),
 * never by DKMS.
 */
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "gpu_dma_lock_kapi.h"

static unsigned long long agent;
module_param(agent, ullong, 0444);
static unsigned int device;
module_param(device, uint, 0444);
static unsigned long long addr;
module_param(addr, ullong, 0444);
static unsigned long long length;
module_param(length, ullong, 0444);
static unsigned int mode;
module_param(mode, uint, 0444);

static int result = -1000;
module_param(result, int, 0444);
MODULE_PARM_DESC(result, "gpu_dma_lock_check() in process context");
static int result_atomic = -1000;
module_param(result_atomic, int, 0444);
MODULE_PARM_DESC(result_atomic, "gpu_dma_lock_check() with interrupts off");

static int __init gdl_export_test_init(void)
{
	unsigned long flags;

	result = gpu_dma_lock_check(agent, device, addr, length, mode);
	local_irq_save(flags);
	result_atomic = gpu_dma_lock_check(agent, device, addr, length, mode);
	local_irq_restore(flags);
	return 0;
}

static void __exit gdl_export_test_exit(void)
{
}

module_init(gdl_export_test_init);
module_exit(gdl_export_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gpu_dma_lock_check() client for the in-guest tests");
