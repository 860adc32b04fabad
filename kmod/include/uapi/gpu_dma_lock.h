/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gpu_dma_lock.h - the whole userspace ABI of gpu_dma_lock.ko
 *
 * Everything userspace can see of the module is here: the ioctls on
 * /dev/gpu_dma_lock, their structs, the flag and mode bits, and the record
 * every tracepoint carries.  The ABI is append-only: new commands get new
 * numbers, new fields only ever go into new structs.
 *
 * Rules every command follows (see docs/abi.md):
 *  - every struct has a @flags field; unknown flag bits give -EINVAL;
 *  - every @pad field must be zero on input, else -EINVAL;
 *  - an unknown command gives -ENOTTY;
 *  - pointers travel as __u64;
 *  - agent_id 0 means "the agent this open file is bound to".
 *
 * Two families share the 'S' magic: the prototype's commands 1..6 (kept
 * bit-for-bit for existing userspace) and the current commands from 0x40.
 */
#ifndef _UAPI_LINUX_GPU_DMA_LOCK_H
#define _UAPI_LINUX_GPU_DMA_LOCK_H

/* BPF programs include vmlinux.h, which already defines the __u types. */
#ifndef __VMLINUX_H__
#include <linux/ioctl.h>
#include <linux/types.h>
#endif

#define GDL_DEVICE_NAME		"gpu_dma_lock"
#define GDL_ABI_VERSION		1
#define GDL_IOC_MAGIC		'S'

/* The most devices one node can have: device masks are 64 bits wide. */
#define GDL_MAX_DEVICES		64
#define GDL_NO_DEVICE		0xffffffffu

/* DMA access modes, used by grants, revokes and checks. */
#define GDL_DMA_READ		0x1u
#define GDL_DMA_WRITE		0x2u
#define GDL_DMA_RW		(GDL_DMA_READ | GDL_DMA_WRITE)

/**
 * struct gdl_info - GDL_IOC_INFO: what this module and this open file are
 * @abi_version:   out: GDL_ABI_VERSION of the running module
 * @flags:         in: must be 0
 * @num_devices:   out: number of devices (real and simulated)
 * @bound:         out: 1 if this open file is bound to an agent, else 0
 * @bound_agent:   out: the agent this file is bound to, 0 if none
 * @max_agents:    out: module parameter max_agents
 * @default_quota: out: module parameter default_quota (0: unknown agents refused)
 */
struct gdl_info {
	__u32 abi_version;
	__u32 flags;
	__u32 num_devices;
	__u32 bound;
	__u64 bound_agent;
	__u64 max_agents;
	__u64 default_quota;
};

/**
 * struct gdl_bind - GDL_IOC_BIND: bind this open file to an agent
 * @agent_id: the agent every request on this file acts as; 0 unbinds
 * @flags:    must be 0
 * @pad:      must be 0
 *
 * Needs CAP_SYS_ADMIN.  A privileged launcher opens the device, binds the
 * file, and hands the descriptor to the workload (inherited across exec or
 * passed with SCM_RIGHTS).  The workload, unprivileged, can then only act as
 * that agent.  Binding does not create the agent.
 */
struct gdl_bind {
	__u64 agent_id;
	__u32 flags;
	__u32 pad;
};

/**
 * struct gdl_agent_cfg - GDL_IOC_SET_AGENT: create an agent or change one
 * @agent_id:    nonzero agent id
 * @quota:       memory quota in bytes; may be set below current use, which
 *               then only blocks new allocations
 * @device_mask: bit n set: the agent may allocate on and be granted DMA to
 *               device n; 0 means no device
 * @flags:       must be 0
 * @pad:         must be 0
 *
 * Needs CAP_SYS_ADMIN.  -ENOSPC when max_agents agents already exist.
 */
struct gdl_agent_cfg {
	__u64 agent_id;
	__u64 quota;
	__u64 device_mask;
	__u32 flags;
	__u32 pad;
};

/**
 * struct gdl_agent_info - GDL_IOC_GET_AGENT: one agent's state
 * @agent_id:    in: agent id (0: the bound agent)
 * @quota:       out: quota in bytes
 * @used:        out: bytes held by live allocations
 * @device_mask: out: devices the agent may use
 * @allocations: out: number of live allocations
 * @grants:      out: number of disjoint granted ranges, all devices
 * @flags:       in: must be 0
 * @pad:         in: must be 0
 *
 * Unprivileged callers may only query their bound agent.  -ENOENT for an
 * agent that does not exist.
 */
struct gdl_agent_info {
	__u64 agent_id;
	__u64 quota;
	__u64 used;
	__u64 device_mask;
	__u64 allocations;
	__u64 grants;
	__u32 flags;
	__u32 pad;
};

/**
 * struct gdl_agent_ref - GDL_IOC_REMOVE_AGENT: name one agent
 * @agent_id: nonzero agent id
 * @flags:    must be 0
 * @pad:      must be 0
 *
 * Needs CAP_SYS_ADMIN.  Removing an agent drops its grants; it fails with
 * -EBUSY while the agent still has live allocations, -ENOENT if unknown.
 */
struct gdl_agent_ref {
	__u64 agent_id;
	__u32 flags;
	__u32 pad;
};

/*
 * The allocation outlives the open file that made it: only FREE (or
 * RELEASE_AGENT) ends it.  Needs CAP_SYS_ADMIN.
 */
#define GDL_ALLOC_PERSISTENT	0x1u
#define GDL_ALLOC_FLAGS		GDL_ALLOC_PERSISTENT

/**
 * struct gdl_alloc - GDL_IOC_ALLOC: charge an allocation to an agent
 * @agent_id: agent to charge (0: the bound agent)
 * @size:     bytes, nonzero
 * @device:   device index
 * @flags:    GDL_ALLOC_* bits
 * @alloc_id: out: id of the new allocation, never 0
 *
 * Errors: -EDQUOT quota exceeded; -EPERM device not in the agent's mask or
 * caller may not act as @agent_id; -ENOSPC device out of capacity; -ENODEV
 * unknown device; -EINVAL zero size, size overflow or bad flags; -ENOENT
 * unknown agent when default_quota is 0.
 *
 * Unless GDL_ALLOC_PERSISTENT, the allocation belongs to this open file and
 * is released when the file is closed.
 */
struct gdl_alloc {
	__u64 agent_id;
	__u64 size;
	__u32 device;
	__u32 flags;
	__u64 alloc_id;
};

/**
 * struct gdl_free - GDL_IOC_FREE: release one allocation
 * @alloc_id: id returned by GDL_IOC_ALLOC
 * @flags:    must be 0
 * @pad:      must be 0
 *
 * -ENOENT if unknown or already freed.  Unprivileged callers may only free
 * allocations of their bound agent (-EPERM otherwise).
 */
struct gdl_free {
	__u64 alloc_id;
	__u32 flags;
	__u32 pad;
};

/**
 * struct gdl_grant - GDL_IOC_GRANT and GDL_IOC_REVOKE: change DMA permission
 * @agent_id: nonzero agent id
 * @addr:     first byte of the range (as in struct gdl_check)
 * @start:    deprecated name of @addr, the same bytes, kept so that code
 *            written against ABI 1's first header still compiles
 * @length:   bytes, nonzero; addr + length must not overflow
 * @device:   device index, which must be in the agent's mask for a grant
 * @mode:     GDL_DMA_* bits to add (grant) or remove (revoke), nonzero
 * @flags:    must be 0
 * @pad:      must be 0
 *
 * Needs CAP_SYS_ADMIN.  Permission is per byte: a grant adds @mode to every
 * byte of [addr, addr + length); a revoke removes @mode from every byte of
 * the range, whatever grants put it there.  Overlapping grants merge and
 * adjacent grants with the same mode coalesce, so a check spanning two
 * adjacent grants passes.  A revoke holds for every check that starts after
 * the ioctl returns.
 */
struct gdl_grant {
	__u64 agent_id;
	union {
		__u64 addr;
		__u64 start;	/* deprecated: @addr */
	};
	__u64 length;
	__u32 device;
	__u32 mode;
	__u32 flags;
	__u32 pad;
};

/* Values of gdl_check.result and gdl_check_entry.result. */
#define GDL_CHECK_DENIED	0u
#define GDL_CHECK_ALLOWED	1u

/**
 * struct gdl_check - GDL_IOC_CHECK: may this agent DMA to this range?
 * @agent_id: agent (0: the bound agent)
 * @addr:     first byte
 * @length:   bytes, nonzero; addr + length must not overflow
 * @device:   device index
 * @mode:     GDL_DMA_* bits wanted, nonzero
 * @flags:    must be 0
 * @result:   out: GDL_CHECK_ALLOWED if every byte of the range has every bit
 *            of @mode, else GDL_CHECK_DENIED
 *
 * A denial is an answer, not an error: the ioctl returns 0.  An unknown agent
 * or device is simply denied.
 */
struct gdl_check {
	__u64 agent_id;
	__u64 addr;
	__u64 length;
	__u32 device;
	__u32 mode;
	__u32 flags;
	__u32 result;
};

/**
 * struct gdl_check_entry - one check of a GDL_IOC_CHECK_BATCH
 * @addr:   first byte
 * @length: bytes, nonzero
 * @device: device index
 * @mode:   GDL_DMA_* bits wanted, nonzero
 * @result: out: GDL_CHECK_ALLOWED or GDL_CHECK_DENIED
 * @flags:  must be 0
 */
struct gdl_check_entry {
	__u64 addr;
	__u64 length;
	__u32 device;
	__u32 mode;
	__u32 result;
	__u32 flags;
};

#define GDL_CHECK_BATCH_MAX	65536u

/**
 * struct gdl_check_batch - GDL_IOC_CHECK_BATCH: many checks, one agent
 * @agent_id: agent (0: the bound agent)
 * @entries:  pointer to @count struct gdl_check_entry; each result is
 *            written back
 * @count:    number of entries, 1..GDL_CHECK_BATCH_MAX
 * @flags:    must be 0
 * @allowed:  out: how many entries were allowed
 * @pad:      must be 0
 *
 * A malformed entry fails the whole batch with -EINVAL before any check is
 * counted.
 */
struct gdl_check_batch {
	__u64 agent_id;
	__u64 entries;
	__u32 count;
	__u32 flags;
	__u32 allowed;
	__u32 pad;
};

/**
 * struct gdl_stats - GDL_IOC_GET_STATS: module-wide counters and gauges
 * @flags:            in: must be 0
 * @pad:              in: must be 0
 * @allocs:           allocations made
 * @alloc_failures:   allocations refused, any reason
 * @frees:            allocations released (FREE, file close, agent reset)
 * @bytes_allocated:  bytes of all allocations made
 * @bytes_freed:      bytes of all allocations released
 * @checks:           DMA checks answered (batched entries count one each)
 * @checks_denied:    DMA checks denied
 * @quota_violations: allocations refused with -EDQUOT
 * @grants:           grants applied
 * @revokes:          revokes applied
 * @agents:           gauge: agents that exist now
 * @live_allocations: gauge: allocations alive now
 * @used_bytes:       gauge: bytes held by live allocations
 * @capacity_bytes:   gauge: sum of all devices' capacity
 *
 * Counters are per-CPU in the module and summed when read.
 */
struct gdl_stats {
	__u32 flags;
	__u32 pad;
	__u64 allocs;
	__u64 alloc_failures;
	__u64 frees;
	__u64 bytes_allocated;
	__u64 bytes_freed;
	__u64 checks;
	__u64 checks_denied;
	__u64 quota_violations;
	__u64 grants;
	__u64 revokes;
	__u64 agents;
	__u64 live_allocations;
	__u64 used_bytes;
	__u64 capacity_bytes;
};

/* Values of gdl_device_info.kind. */
#define GDL_DEVICE_PCI		1u
#define GDL_DEVICE_FAKE		2u

/**
 * struct gdl_device_info - GDL_IOC_GET_DEVICE: one device
 * @index:      in: device index, 0..num_devices-1 (-ENODEV beyond)
 * @flags:      in: must be 0
 * @capacity:   out: bytes (a PCI GPU's largest memory BAR)
 * @used:       out: bytes held by live allocations on it
 * @kind:       out: GDL_DEVICE_PCI or GDL_DEVICE_FAKE
 * @pci_domain: out: PCI domain (0 for simulated devices)
 * @pci_bdf:    out: bus << 8 | devfn (0 for simulated devices)
 * @pci_id:     out: vendor << 16 | device (0 for simulated devices)
 * @name:       out: NUL-terminated, e.g. "0000:65:00.0" or "fake0"
 */
struct gdl_device_info {
	__u32 index;
	__u32 flags;
	__u64 capacity;
	__u64 used;
	__u32 kind;
	__u32 pci_domain;
	__u32 pci_bdf;
	__u32 pci_id;
	__u8 name[32];
};

/*
 * Workload identity (docs/identity.md).  A request on a file that is not
 * bound acts as the agent of the caller's cgroup (cgroup v2; the nearest
 * bound ancestor wins), else of the caller's uid, else as no agent.  The
 * caller's identity is resolved by the module at request time, never taken
 * from the caller; agent_id 0 in any request means "the caller's agent"
 * under these rules.  Binding and unbinding need CAP_SYS_ADMIN.
 */

/* The longest cgroup path accepted, terminating NUL included. */
#define GDL_CGROUP_PATH_MAX	4096u

/**
 * struct gdl_cgroup_binding - GDL_IOC_BIND_CGROUP and GDL_IOC_UNBIND_CGROUP
 * @path:      pointer to a NUL-terminated cgroup path below the cgroup2
 *             mount, as /proc/<pid>/cgroup prints it ("/" is the root), at
 *             most GDL_CGROUP_PATH_MAX bytes with its NUL
 * @agent_id:  bind: the nonzero agent every process in the cgroup and its
 *             descendants acts as (the agent need not exist yet); unbind:
 *             must be 0
 * @cgroup_id: out: the cgroup's id (its directory's inode number)
 * @flags:     must be 0
 * @pad:       must be 0
 *
 * -ENOENT: no such cgroup (bind), or the cgroup is not bound (unbind).
 * Binding a bound cgroup again moves it to the new agent.
 */
struct gdl_cgroup_binding {
	__u64 path;
	__u64 agent_id;
	__u64 cgroup_id;
	__u32 flags;
	__u32 pad;
};

/**
 * struct gdl_uid_binding - GDL_IOC_BIND_UID and GDL_IOC_UNBIND_UID
 * @uid:      a uid of the initial user namespace
 * @flags:    must be 0
 * @agent_id: bind: nonzero agent; unbind: must be 0
 *
 * -ENOENT: unbinding a uid that is not bound.
 */
struct gdl_uid_binding {
	__u32 uid;
	__u32 flags;
	__u64 agent_id;
};

#define GDL_IOC_NOOP		_IO(GDL_IOC_MAGIC, 0x40)
#define GDL_IOC_INFO		_IOWR(GDL_IOC_MAGIC, 0x41, struct gdl_info)
#define GDL_IOC_BIND		_IOW(GDL_IOC_MAGIC, 0x42, struct gdl_bind)
#define GDL_IOC_SET_AGENT	_IOW(GDL_IOC_MAGIC, 0x43, struct gdl_agent_cfg)
#define GDL_IOC_GET_AGENT	_IOWR(GDL_IOC_MAGIC, 0x44, struct gdl_agent_info)
#define GDL_IOC_REMOVE_AGENT	_IOW(GDL_IOC_MAGIC, 0x45, struct gdl_agent_ref)
#define GDL_IOC_ALLOC		_IOWR(GDL_IOC_MAGIC, 0x46, struct gdl_alloc)
#define GDL_IOC_FREE		_IOW(GDL_IOC_MAGIC, 0x47, struct gdl_free)
#define GDL_IOC_GRANT		_IOW(GDL_IOC_MAGIC, 0x48, struct gdl_grant)
#define GDL_IOC_REVOKE		_IOW(GDL_IOC_MAGIC, 0x49, struct gdl_grant)
#define GDL_IOC_CHECK		_IOWR(GDL_IOC_MAGIC, 0x4a, struct gdl_check)
#define GDL_IOC_CHECK_BATCH	_IOWR(GDL_IOC_MAGIC, 0x4b, struct gdl_check_batch)
#define GDL_IOC_GET_STATS	_IOWR(GDL_IOC_MAGIC, 0x4c, struct gdl_stats)
#define GDL_IOC_GET_DEVICE	_IOWR(GDL_IOC_MAGIC, 0x4d, struct gdl_device_info)

#define GDL_IOC_BIND_CGROUP	_IOWR(GDL_IOC_MAGIC, 0x4e, struct gdl_cgroup_binding)
#define GDL_IOC_UNBIND_CGROUP	_IOWR(GDL_IOC_MAGIC, 0x4f, struct gdl_cgroup_binding)
#define GDL_IOC_BIND_UID	_IOW(GDL_IOC_MAGIC, 0x50, struct gdl_uid_binding)
#define GDL_IOC_UNBIND_UID	_IOW(GDL_IOC_MAGIC, 0x51, struct gdl_uid_binding)
/*
 * Release every live allocation of an agent (persistent ones and those of
 * any open file).  Needs CAP_SYS_ADMIN.  -ENOENT for an unknown agent.
 */
#define GDL_IOC_RELEASE_AGENT	_IOW(GDL_IOC_MAGIC, 0x52, struct gdl_agent_ref)

/*
 * The agent's local socket (no module loaded) carries the same requests as
 * the ioctls above, framed: a request is a header whose @cmd is the GDL_IOC_*
 * number and whose @len is _IOC_SIZE(cmd), then that many bytes of the
 * command's struct; the reply is a header with the same @cmd, @result 0 or a
 * negative errno, and @len bytes of the struct as the ioctl would have
 * written it back (0 bytes when @result is nonzero).  One connection is one
 * owner, exactly as one open file is.  See docs/wire.md.
 */
struct gdl_wire_hdr {
	__u32 cmd;
	__u32 len;
	__s32 result;
	__u32 flags;
};


/*
 * The prototype's ABI, kept unchanged.  These act on device 0 and follow the
 * same rules as the commands above (a check outside every grant is denied).
 */
#define SWARM_ACCESS_READ	GDL_DMA_READ
#define SWARM_ACCESS_WRITE	GDL_DMA_WRITE

/**
 * struct swarm_gpu_alloc - SWARM_GPU_ALLOC (legacy)
 * @agent_id:  agent to charge (0: the bound agent)
 * @size:      bytes
 * @device_id: device index
 * @flags:     GDL_ALLOC_* bits
 * @alloc_id:  out: id of the new allocation
 */
struct swarm_gpu_alloc {
	__u64 agent_id;
	__u64 size;
	__u32 device_id;
	__u32 flags;
	__u64 alloc_id;
};

/**
 * struct swarm_gpu_query - SWARM_GPU_QUERY (legacy): module-wide totals
 * @total_memory:     sum of all devices' capacity
 * @used_memory:      bytes held by live allocations
 * @allocation_count: live allocations
 * @dma_checks:       DMA checks answered
 * @quota_violations: allocations refused with -EDQUOT
 */
struct swarm_gpu_query {
	__u64 total_memory;
	__u64 used_memory;
	__u64 allocation_count;
	__u64 dma_checks;
	__u64 quota_violations;
};

/**
 * struct swarm_gpu_quota - SWARM_GPU_SET_QUOTA (legacy)
 * @agent_id:     nonzero agent id
 * @memory_limit: quota in bytes
 * @device_mask:  devices allowed; 0 means every device (the prototype's
 *                scripts never set it)
 * @pad:          must be 0
 */
struct swarm_gpu_quota {
	__u64 agent_id;
	__u64 memory_limit;
	__u32 device_mask;
	__u32 pad;
};

/**
 * struct swarm_dma_check - SWARM_DMA_CHECK_PERM (legacy), device 0
 * @agent_id:    agent (0: the bound agent)
 * @dma_addr:    first byte
 * @size:        bytes, nonzero
 * @access_type: SWARM_ACCESS_* bits, nonzero
 * @allowed:     out: 1 allowed, 0 denied
 */
struct swarm_dma_check {
	__u64 agent_id;
	__u64 dma_addr;
	__u64 size;
	__u32 access_type;
	__u32 allowed;
};

/**
 * struct swarm_dma_grant - SWARM_DMA_GRANT_PERM (legacy), device 0
 * @agent_id:    nonzero agent id
 * @dma_addr:    first byte
 * @size:        bytes, nonzero
 * @permissions: SWARM_ACCESS_* bits, nonzero
 * @pad:         must be 0
 */
struct swarm_dma_grant {
	__u64 agent_id;
	__u64 dma_addr;
	__u64 size;
	__u32 permissions;
	__u32 pad;
};

#define SWARM_GPU_ALLOC		_IOWR(GDL_IOC_MAGIC, 1, struct swarm_gpu_alloc)
/* The allocation id is the ioctl argument itself, not a pointer to it. */
#define SWARM_GPU_FREE		_IOW(GDL_IOC_MAGIC, 2, __u64)
#define SWARM_GPU_QUERY		_IOR(GDL_IOC_MAGIC, 3, struct swarm_gpu_query)
#define SWARM_GPU_SET_QUOTA	_IOW(GDL_IOC_MAGIC, 4, struct swarm_gpu_quota)
#define SWARM_DMA_CHECK_PERM	_IOWR(GDL_IOC_MAGIC, 5, struct swarm_dma_check)
#define SWARM_DMA_GRANT_PERM	_IOW(GDL_IOC_MAGIC, 6, struct swarm_dma_grant)

/*
 * Decision records.  Every tracepoint of the module (trace system
 * "gpu_dma_lock") passes a pointer to one struct gdl_decision as its only
 * argument, so a BTF tracepoint program (tp_btf) reads its fields in place
 * (a raw_tp one, for a module built without BTF, with one probe read) and the
 * layout is checked here rather than guessed from argument positions.
 */
/*
 * GDL_DECISION_KINDS(X, X_LAST) - every decision kind, once.  X(KIND, value,
 * name, why) for each but the last, X_LAST(...) for the last (the kernel's
 * EM/EMe idiom: a list that ends without a separator).  KIND names the enum
 * constant GDL_DEC_<KIND>, @name the tracepoint gdl_<name> and the word
 * ftrace, the BPF programs and the agent print.  Users: the enum below, the
 * tracepoints and their printing (kmod/gdl_trace.h, kmod/gdl_env_kernel.h),
 * the BPF programs (bpf/gdl_module.bpf.c) and the agent's generated mirror
 * (agent/src/native/abi.gen.ts, scripts/gen-abi.ts).  Values are ABI: append.
 */
#define GDL_DECISION_KINDS(X, X_LAST)					\
	X(ALLOC,		1, alloc,		"allocation made")	\
	X(ALLOC_FAIL,		2, alloc_fail,		"allocation refused (not quota)") \
	X(QUOTA_VIOLATION,	3, quota_violation,	"allocation refused with -EDQUOT") \
	X(FREE,			4, free,		"allocation released")	\
	X(CHECK,		5, check,		"DMA check allowed")	\
	X(DENY,			6, deny,		"DMA check denied")	\
	X(GRANT,		7, grant,		"grant applied")	\
	X_LAST(REVOKE,		8, revoke,		"revoke applied")

#define GDL_DEC_ENUM_(kind, value, name, why)	GDL_DEC_##kind = value,
enum gdl_decision_kind {
	GDL_DECISION_KINDS(GDL_DEC_ENUM_, GDL_DEC_ENUM_)
	GDL_DEC_KIND_MAX = 8,
};
#undef GDL_DEC_ENUM_

/**
 * struct gdl_decision - what a tracepoint reports about one decision
 * @kind:     enum gdl_decision_kind
 * @device:   device index (0xffffffff when none applies)
 * @agent_id: agent the decision was about
 * @alloc_id: allocation id (ALLOC, FREE), else 0
 * @addr:     first byte of the range (CHECK, DENY, GRANT, REVOKE), else 0
 * @length:   range length, or allocation size (ALLOC*, QUOTA_VIOLATION, FREE)
 * @mode:     GDL_DMA_* bits (CHECK, DENY, GRANT, REVOKE), else 0
 * @result:   0 or a negative errno
 * @used:     agent's used bytes after the decision (ALLOC*, FREE), else 0
 * @quota:    agent's quota at the decision (ALLOC*, FREE), else 0
 * @cgroup_id: cgroup v2 id of the task the decision was made for, at the
 *            decision (0 outside task context, e.g. gpu_dma_lock_check()
 *            from an interrupt); filled by the module's tracepoint glue
 */
struct gdl_decision {
	__u32 kind;
	__u32 device;
	__u64 agent_id;
	__u64 alloc_id;
	__u64 addr;
	__u64 length;
	__u32 mode;
	__s32 result;
	__u64 used;
	__u64 quota;
	__u64 cgroup_id;
};

/*
 * GDL_DECISION_FIELDS(X, X_LAST) - struct gdl_decision's fields, in order:
 * X(type, name).  The module's decision tracepoints take them as their
 * arguments in this order (kmod/gdl_trace.h), so a BPF program reads each
 * as a plain context word (bpf/gdl_module.bpf.c) instead of loading it
 * through a pointer, which the JIT guards load by load.
 */
#define GDL_DECISION_FIELDS(X, X_LAST)	\
	X(__u32, kind)			\
	X(__u32, device)		\
	X(__u64, agent_id)		\
	X(__u64, alloc_id)		\
	X(__u64, addr)			\
	X(__u64, length)		\
	X(__u32, mode)			\
	X(__s32, result)		\
	X(__u64, used)			\
	X(__u64, quota)			\
	X_LAST(__u64, cgroup_id)

#endif /* _UAPI_LINUX_GPU_DMA_LOCK_H */
