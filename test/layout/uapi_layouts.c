// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_layouts.c - print the C layout of every uapi struct, of the gdl_*_view
 * listing structs and struct gdl_cursor, and every ioctl number, as JSON
 *
 * test/unit/agent-layout.test.ts compiles this with the host compiler
 * (cc -I kmod/include -I kmod/core -I kmod/user), runs it, and checks every
 * koffi mirror of agent/src/native/uapi.ts against it.
 */
#include <stddef.h>
#include <stdio.h>
#include "uapi/gpu_dma_lock.h"
#include "gdl_core.h"

static int first_struct = 1, first_field;

static void begin(const char *name, size_t size)
{
	printf("%s\n  \"%s\": {\"size\": %zu, \"fields\": {", first_struct ? "" : ",", name, size);
	first_struct = 0;
	first_field = 1;
}

static void field(const char *name, size_t offset, size_t size)
{
	printf("%s\"%s\": {\"offset\": %zu, \"size\": %zu}", first_field ? "" : ", ", name, offset, size);
	first_field = 0;
}

#define S(type) begin(#type, sizeof(struct type))
#define F(type, member) field(#member, offsetof(struct type, member), sizeof(((struct type *)0)->member))
#define END() printf("}}")

static int first_ioctl = 1;
static void ioctl_nr(const char *name, unsigned long nr)
{
	printf("%s\n  \"%s\": %lu", first_ioctl ? "" : ",", name, nr);
	first_ioctl = 0;
}
#define IOC(name) ioctl_nr(#name, (unsigned long)(name))

int main(void)
{
	printf("{\"structs\": {");
	S(gdl_info); F(gdl_info, abi_version); F(gdl_info, flags); F(gdl_info, num_devices); F(gdl_info, bound);
	F(gdl_info, bound_agent); F(gdl_info, max_agents); F(gdl_info, default_quota); END();
	S(gdl_bind); F(gdl_bind, agent_id); F(gdl_bind, flags); F(gdl_bind, pad); END();
	S(gdl_agent_cfg); F(gdl_agent_cfg, agent_id); F(gdl_agent_cfg, quota); F(gdl_agent_cfg, device_mask);
	F(gdl_agent_cfg, flags); F(gdl_agent_cfg, pad); END();
	S(gdl_agent_info); F(gdl_agent_info, agent_id); F(gdl_agent_info, quota); F(gdl_agent_info, used);
	F(gdl_agent_info, device_mask); F(gdl_agent_info, allocations); F(gdl_agent_info, grants);
	F(gdl_agent_info, flags); F(gdl_agent_info, pad); END();
	S(gdl_agent_ref); F(gdl_agent_ref, agent_id); F(gdl_agent_ref, flags); F(gdl_agent_ref, pad); END();
	S(gdl_alloc); F(gdl_alloc, agent_id); F(gdl_alloc, size); F(gdl_alloc, device); F(gdl_alloc, flags);
	F(gdl_alloc, alloc_id); END();
	S(gdl_free); F(gdl_free, alloc_id); F(gdl_free, flags); F(gdl_free, pad); END();
	S(gdl_grant); F(gdl_grant, agent_id); F(gdl_grant, start); F(gdl_grant, length); F(gdl_grant, device);
	F(gdl_grant, mode); F(gdl_grant, flags); F(gdl_grant, pad); END();
	S(gdl_check); F(gdl_check, agent_id); F(gdl_check, addr); F(gdl_check, length); F(gdl_check, device);
	F(gdl_check, mode); F(gdl_check, flags); F(gdl_check, result); END();
	S(gdl_check_entry); F(gdl_check_entry, addr); F(gdl_check_entry, length); F(gdl_check_entry, device);
	F(gdl_check_entry, mode); F(gdl_check_entry, result); F(gdl_check_entry, flags); END();
	S(gdl_check_batch); F(gdl_check_batch, agent_id); F(gdl_check_batch, entries); F(gdl_check_batch, count);
	F(gdl_check_batch, flags); F(gdl_check_batch, allowed); F(gdl_check_batch, pad); END();
	S(gdl_stats); F(gdl_stats, flags); F(gdl_stats, pad); F(gdl_stats, allocs); F(gdl_stats, alloc_failures);
	F(gdl_stats, frees); F(gdl_stats, bytes_allocated); F(gdl_stats, bytes_freed); F(gdl_stats, checks);
	F(gdl_stats, checks_denied); F(gdl_stats, quota_violations); F(gdl_stats, grants); F(gdl_stats, revokes);
	F(gdl_stats, agents); F(gdl_stats, live_allocations); F(gdl_stats, used_bytes); F(gdl_stats, capacity_bytes); END();
	S(gdl_device_info); F(gdl_device_info, index); F(gdl_device_info, flags); F(gdl_device_info, capacity);
	F(gdl_device_info, used); F(gdl_device_info, kind); F(gdl_device_info, pci_domain); F(gdl_device_info, pci_bdf);
	F(gdl_device_info, pci_id); F(gdl_device_info, name); END();
	S(gdl_decision); F(gdl_decision, kind); F(gdl_decision, device); F(gdl_decision, agent_id);
	F(gdl_decision, alloc_id); F(gdl_decision, addr); F(gdl_decision, length); F(gdl_decision, mode);
	F(gdl_decision, result); F(gdl_decision, used); F(gdl_decision, quota); F(gdl_decision, cgroup_id); END();
	S(gdl_cgroup_binding); F(gdl_cgroup_binding, path); F(gdl_cgroup_binding, agent_id);
	F(gdl_cgroup_binding, cgroup_id); F(gdl_cgroup_binding, flags); F(gdl_cgroup_binding, pad); END();
	S(gdl_uid_binding); F(gdl_uid_binding, uid); F(gdl_uid_binding, flags); F(gdl_uid_binding, agent_id); END();
	S(gdl_cursor); F(gdl_cursor, a); F(gdl_cursor, b); F(gdl_cursor, c); END();
	S(gdl_agent_view); F(gdl_agent_view, agent_id); F(gdl_agent_view, quota); F(gdl_agent_view, used);
	F(gdl_agent_view, device_mask); F(gdl_agent_view, allocations); F(gdl_agent_view, grants); END();
	S(gdl_alloc_view); F(gdl_alloc_view, alloc_id); F(gdl_alloc_view, agent_id); F(gdl_alloc_view, size);
	F(gdl_alloc_view, device); F(gdl_alloc_view, flags); F(gdl_alloc_view, owner_pid); F(gdl_alloc_view, pad); END();
	S(gdl_grant_view); F(gdl_grant_view, agent_id); F(gdl_grant_view, start); F(gdl_grant_view, length);
	F(gdl_grant_view, device); F(gdl_grant_view, mode); END();
	printf("},\n\"ioctls\": {");
	IOC(GDL_IOC_NOOP); IOC(GDL_IOC_INFO); IOC(GDL_IOC_BIND); IOC(GDL_IOC_SET_AGENT); IOC(GDL_IOC_GET_AGENT);
	IOC(GDL_IOC_REMOVE_AGENT); IOC(GDL_IOC_ALLOC); IOC(GDL_IOC_FREE); IOC(GDL_IOC_GRANT); IOC(GDL_IOC_REVOKE);
	IOC(GDL_IOC_CHECK); IOC(GDL_IOC_CHECK_BATCH); IOC(GDL_IOC_GET_STATS); IOC(GDL_IOC_GET_DEVICE);
	IOC(GDL_IOC_BIND_CGROUP); IOC(GDL_IOC_UNBIND_CGROUP); IOC(GDL_IOC_BIND_UID); IOC(GDL_IOC_UNBIND_UID);
	printf("}}\n");
	return 0;
}
