/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdl_module.h - what the glue files of gpu_dma_lock.ko share
 *
 * The module is the core logic (core/, pure) plus glue: gdl_main.c (params,
 * init/exit), gdl_pci.c (devices), gdl_ioctl.c and gdl_ioctl_swarm.c
 * (/dev/gpu_dma_lock, current and prototype ABI; shared rules in
 * gdl_ioctl.h), gdl_proc.c and gdl_proc_list.c (/proc/swarm/gpu/),
 * gdl_control.c (the operator's command language), gdl_export.c
 * (gpu_dma_lock_check) and gdl_trace.c (tracepoints).  The glue decides
 * *who* may do something; the core decides *what* happens.
 */
#ifndef GDL_MODULE_H
#define GDL_MODULE_H

#include <linux/fs.h>
#include <linux/types.h>

#include "gdl_core.h"

/**
 * struct gdl_module - module-wide state, set once at load
 * @core:          the one core instance; valid from init to exit
 * @num_devices:   devices registered with the core (fixed after init)
 * @all_devices:   mask with one bit per registered device
 * @default_quota: module parameter, as given
 * @max_agents:    module parameter, as given
 * @max_agent_allocs: module parameter, as given (0: no limit)
 * @debug:         module parameter: log every operator command
 */
struct gdl_module {
	struct gdl_core *core;
	u32 num_devices;
	u64 all_devices;
	u64 default_quota;
	u32 max_agents;
	u32 max_agent_allocs;
	bool debug;
};

extern struct gdl_module gdl;

#define gdl_dbg(fmt, ...)						\
	do {								\
		if (gdl.debug)						\
			pr_info(fmt, ##__VA_ARGS__);			\
	} while (0)

/* gdl_pci.c: registers real GPUs, then @fake_gpus simulated ones. */
int gdl_devices_register(struct gdl_core *core, unsigned int fake_gpus,
			 u64 fake_gpu_mem, unsigned int *num_pci);

/* gdl_ioctl.c */
extern const struct file_operations gdl_dev_fops;

/* gdl_proc.c */
int gdl_proc_init(void);
void gdl_proc_exit(void);

/*
 * gdl_proc_list.c: seq_file listings of the core's tables.  One proc_ops
 * serves them all: the entry's data says which listing it is.
 */
struct gdl_list_kind;
extern const struct gdl_list_kind gdl_quotas_kind, gdl_agents_kind,
	gdl_allocations_kind, gdl_grants_kind, gdl_contexts_kind;
extern const struct proc_ops gdl_list_ops;
/* dma_permissions: the listing plus the prototype's AGENT:ADDR:MODE write */
int gdl_list_open(struct inode *inode, struct file *file);

/* gdl_control.c: one operator line each, already a NUL-terminated string */
#define GDL_CONTROL_LINE_MAX	256
int gdl_control_run(char *line);
int gdl_dma_permission_run(char *line);
const char *gdl_mode_name(u32 mode);

#endif /* GDL_MODULE_H */
