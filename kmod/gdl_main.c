// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_main.c - gpu_dma_lock.ko: parameters, load and unload
 *
 * Load order: core, devices, /proc/swarm/gpu, then /dev/gpu_dma_lock last,
 * so nobody can reach the module before everything behind the device is
 * ready.  Unload runs in reverse: the misc device goes first (an open file
 * pins the module, so none is left by then), /proc entries are removed
 * (which waits for readers and writers in flight), and the core is
 * destroyed, waiting out its RCU callbacks: nothing outlives the module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "gdl_batch.h"
#include "gdl_identity.h"
#include "gdl_module.h"

atomic_long_t gdl_env_live_objects = ATOMIC_LONG_INIT(0);

struct gdl_module gdl;

static bool debug;
module_param(debug, bool, 0444);
MODULE_PARM_DESC(debug, "Log every operator command and allocation id (default: off)");

static unsigned long long default_quota;
module_param(default_quota, ullong, 0444);
MODULE_PARM_DESC(default_quota, "Quota in bytes of an agent created by its first allocation; 0 refuses unknown agents (default: 0)");

static unsigned int max_agents = 200000;
module_param(max_agents, uint, 0444);
MODULE_PARM_DESC(max_agents, "Most agents that may exist at once, 1.. (default: 200000)");

/*
 * Each allocation is a kernel object of about 100 bytes: 65536 of them
 * are ~6 MiB per agent, charged to the workload's memory cgroup.
 */
static unsigned int max_agent_allocs = 65536;
module_param(max_agent_allocs, uint, 0444);
MODULE_PARM_DESC(max_agent_allocs, "Most live allocations one agent may hold; 0: no limit (default: 65536)");

static unsigned int fake_gpus;
module_param(fake_gpus, uint, 0444);
MODULE_PARM_DESC(fake_gpus, "Simulated GPUs added after the real ones, named fake0.. (default: 0)");

static unsigned long long fake_gpu_mem = 16ULL * SZ_1G;
module_param(fake_gpu_mem, ullong, 0444);
MODULE_PARM_DESC(fake_gpu_mem, "Bytes of memory of each simulated GPU, nonzero (default: 16 GiB)");

static bool gpudirect_enable;
module_param(gpudirect_enable, bool, 0444);
MODULE_PARM_DESC(gpudirect_enable, "Accepted for the prototype's scripts; ignored");

static struct miscdevice gdl_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= GDL_DEVICE_NAME,
	.fops	= &gdl_dev_fops,
	/* Access is decided per call, by binding and capability. */
	.mode	= 0666,
};

static u64 gdl_mask_of(u32 num_devices)
{
	return num_devices >= 64 ? U64_MAX : BIT_ULL(num_devices) - 1;
}

static int gdl_params_valid(void)
{
	if (!max_agents) {
		pr_err("max_agents must be at least 1\n");
		return -EINVAL;
	}
	if (fake_gpus && !fake_gpu_mem) {
		pr_err("fake_gpu_mem must be nonzero\n");
		return -EINVAL;
	}
	if (fake_gpus > GDL_MAX_DEVICES) {
		pr_err("fake_gpus %u: at most %u devices\n", fake_gpus,
		       GDL_MAX_DEVICES);
		return -EINVAL;
	}
	return 0;
}

/* Everything gdl_core_destroy() did not give back is a leak: say so. */
static void gdl_report_leaks(void)
{
	long live = atomic_long_read(&gdl_env_live_objects);

	if (live)
		pr_err("leak: %ld kernel objects still allocated after unload\n",
		       live);
}

static int __init gdl_init(void)
{
	struct gdl_core_params params = {
		.default_quota = default_quota,
		.max_agents = max_agents,
		.max_agent_allocs = max_agent_allocs,
		.env = NULL,
	};
	unsigned int num_pci = 0;
	struct gdl_stats st;
	int ret;

	ret = gdl_params_valid();
	if (ret)
		return ret;
	ret = gdl_batch_init();
	if (ret)
		return ret;

	gdl.default_quota = default_quota;
	gdl.max_agents = max_agents;
	gdl.max_agent_allocs = max_agent_allocs;
	gdl.debug = debug;
	gdl.core = gdl_core_create(&params);
	if (!gdl.core) {
		gdl_batch_exit();
		return -ENOMEM;
	}

	ret = gdl_devices_register(gdl.core, fake_gpus, fake_gpu_mem,
				   &num_pci);
	if (ret)
		goto err_core;
	gdl.num_devices = gdl_core_num_devices(gdl.core);
	gdl.all_devices = gdl_mask_of(gdl.num_devices);

	ret = gdl_proc_init();
	if (ret)
		goto err_core;

	ret = misc_register(&gdl_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", GDL_DEVICE_NAME, ret);
		goto err_proc;
	}

	gdl_stats_read(gdl.core, &st);
	pr_info("loaded: %u devices (%u PCI GPUs, %u simulated), %llu bytes; default_quota=%llu max_agents=%u abi=%u%s%s\n",
		gdl.num_devices, num_pci, gdl.num_devices - num_pci,
		st.capacity_bytes, default_quota, max_agents, GDL_ABI_VERSION,
		debug ? " debug" : "",
		gpudirect_enable ? " (gpudirect_enable ignored)" : "");
	return 0;

err_proc:
	gdl_proc_exit();
err_core:
	gdl_core_destroy(gdl.core);
	gdl_batch_exit();
	gdl_report_leaks();
	return ret;
}

static void __exit gdl_exit(void)
{
	struct gdl_stats st;

	misc_deregister(&gdl_misc);
	gdl_proc_exit();
	/* No request can resolve a binding any more: free them all. */
	gdl_identity_exit();

	gdl_stats_read(gdl.core, &st);
	gdl_core_destroy(gdl.core);
	gdl.core = NULL;
	gdl_batch_exit();

	pr_info("unloaded: released %llu persistent allocations (%llu bytes) of %llu agents\n",
		st.live_allocations, st.used_bytes, st.agents);
	gdl_report_leaks();
}

module_init(gdl_init);
module_exit(gdl_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("gpu-dma-lock authors");
MODULE_DESCRIPTION("Per-node GPU memory quota and DMA permission governance");
MODULE_VERSION("1.0");
