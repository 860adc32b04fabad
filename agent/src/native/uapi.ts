/**
 * Mirrors of kmod/include/uapi/gpu_dma_lock.h and of the listing structs of
 * kmod/core/gdl_core.h. test/unit/agent-layout.test.ts compiles
 * test/layout/uapi_layouts.c and checks every size and offset here against
 * the C compiler's, so a drift in the header fails a test, not a customer.
 */
import { defineStruct } from './struct.ts';

export const GDL_DEVICE_PATH = '/dev/gpu_dma_lock';
export const GDL_ABI_VERSION = 1;
export const GDL_MAX_DEVICES = 64;

export const GDL_DMA_READ = 0x1;
export const GDL_DMA_WRITE = 0x2;
export const GDL_DMA_RW = 0x3;
export const GDL_ALLOC_PERSISTENT = 0x1;
export const GDL_CHECK_ALLOWED = 1;
export const GDL_DEVICE_PCI = 1;
export const GDL_DEVICE_FAKE = 2;

export const GdlInfo = defineStruct('gdl_info', {
  abi_version: 'u32',
  flags: 'u32',
  num_devices: 'u32',
  bound: 'u32',
  bound_agent: 'u64',
  max_agents: 'u64',
  default_quota: 'u64',
});

export const GdlBind = defineStruct('gdl_bind', { agent_id: 'u64', flags: 'u32', pad: 'u32' });

export const GdlAgentCfg = defineStruct('gdl_agent_cfg', {
  agent_id: 'u64',
  quota: 'u64',
  device_mask: 'u64',
  flags: 'u32',
  pad: 'u32',
});

export const GdlAgentInfo = defineStruct('gdl_agent_info', {
  agent_id: 'u64',
  quota: 'u64',
  used: 'u64',
  device_mask: 'u64',
  allocations: 'u64',
  grants: 'u64',
  flags: 'u32',
  pad: 'u32',
});

export const GdlAgentRef = defineStruct('gdl_agent_ref', { agent_id: 'u64', flags: 'u32', pad: 'u32' });

export const GdlAlloc = defineStruct('gdl_alloc', {
  agent_id: 'u64',
  size: 'u64',
  device: 'u32',
  flags: 'u32',
  alloc_id: 'u64',
});

export const GdlFree = defineStruct('gdl_free', { alloc_id: 'u64', flags: 'u32', pad: 'u32' });

export const GdlGrant = defineStruct('gdl_grant', {
  agent_id: 'u64',
  start: 'u64',
  length: 'u64',
  device: 'u32',
  mode: 'u32',
  flags: 'u32',
  pad: 'u32',
});

export const GdlCheck = defineStruct('gdl_check', {
  agent_id: 'u64',
  addr: 'u64',
  length: 'u64',
  device: 'u32',
  mode: 'u32',
  flags: 'u32',
  result: 'u32',
});

export const GdlCheckEntry = defineStruct('gdl_check_entry', {
  addr: 'u64',
  length: 'u64',
  device: 'u32',
  mode: 'u32',
  result: 'u32',
  flags: 'u32',
});

export const GdlCheckBatch = defineStruct('gdl_check_batch', {
  agent_id: 'u64',
  entries: 'u64',
  count: 'u32',
  flags: 'u32',
  allowed: 'u32',
  pad: 'u32',
});

export const GdlStats = defineStruct('gdl_stats', {
  flags: 'u32',
  pad: 'u32',
  allocs: 'u64',
  alloc_failures: 'u64',
  frees: 'u64',
  bytes_allocated: 'u64',
  bytes_freed: 'u64',
  checks: 'u64',
  checks_denied: 'u64',
  quota_violations: 'u64',
  grants: 'u64',
  revokes: 'u64',
  agents: 'u64',
  live_allocations: 'u64',
  used_bytes: 'u64',
  capacity_bytes: 'u64',
});

export const GdlDeviceInfo = defineStruct('gdl_device_info', {
  index: 'u32',
  flags: 'u32',
  capacity: 'u64',
  used: 'u64',
  kind: 'u32',
  pci_domain: 'u32',
  pci_bdf: 'u32',
  pci_id: 'u32',
  name: 'char[32]',
});

export const GdlDecision = defineStruct('gdl_decision', {
  kind: 'u32',
  device: 'u32',
  agent_id: 'u64',
  alloc_id: 'u64',
  addr: 'u64',
  length: 'u64',
  mode: 'u32',
  result: 's32',
  used: 'u64',
  quota: 'u64',
  cgroup_id: 'u64',
});

export const GdlCgroupBinding = defineStruct('gdl_cgroup_binding', {
  path: 'u64',
  agent_id: 'u64',
  cgroup_id: 'u64',
  flags: 'u32',
  pad: 'u32',
});

export const GdlUidBinding = defineStruct('gdl_uid_binding', { uid: 'u32', flags: 'u32', agent_id: 'u64' });

/* gdl_core.h listings, used through libgdlcore.so */

export const GdlCursor = defineStruct('gdl_cursor', { a: 'u64', b: 'u64', c: 'u64' });

export const GdlAgentView = defineStruct('gdl_agent_view', {
  agent_id: 'u64',
  quota: 'u64',
  used: 'u64',
  device_mask: 'u64',
  allocations: 'u64',
  grants: 'u64',
});

export const GdlAllocView = defineStruct('gdl_alloc_view', {
  alloc_id: 'u64',
  agent_id: 'u64',
  size: 'u64',
  device: 'u32',
  flags: 'u32',
  owner_pid: 'u32',
  pad: 'u32',
});

export const GdlGrantView = defineStruct('gdl_grant_view', {
  agent_id: 'u64',
  start: 'u64',
  length: 'u64',
  device: 'u32',
  mode: 'u32',
});

/** Every mirrored struct, by its C name (for the layout test). */
export const ALL_STRUCTS = [
  GdlInfo, GdlBind, GdlAgentCfg, GdlAgentInfo, GdlAgentRef, GdlAlloc, GdlFree, GdlGrant, GdlCheck,
  GdlCheckEntry, GdlCheckBatch, GdlStats, GdlDeviceInfo, GdlDecision, GdlCursor, GdlAgentView,
  GdlAllocView, GdlGrantView, GdlCgroupBinding, GdlUidBinding,
];

/* ioctl numbers: the kernel's _IOC encoding on x86-64 and arm64. */
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;
const MAGIC = 'S'.charCodeAt(0);

function ioc(dir: number, nr: number, size: number): number {
  // >>> 0 keeps the result an unsigned 32-bit value (dir sets bit 31).
  return ((dir << 30) | (size << 16) | (MAGIC << 8) | nr) >>> 0;
}

export const Ioc = {
  NOOP: ioc(IOC_NONE, 0x40, 0),
  INFO: ioc(IOC_READ | IOC_WRITE, 0x41, GdlInfo.size),
  BIND: ioc(IOC_WRITE, 0x42, GdlBind.size),
  SET_AGENT: ioc(IOC_WRITE, 0x43, GdlAgentCfg.size),
  GET_AGENT: ioc(IOC_READ | IOC_WRITE, 0x44, GdlAgentInfo.size),
  REMOVE_AGENT: ioc(IOC_WRITE, 0x45, GdlAgentRef.size),
  ALLOC: ioc(IOC_READ | IOC_WRITE, 0x46, GdlAlloc.size),
  FREE: ioc(IOC_WRITE, 0x47, GdlFree.size),
  GRANT: ioc(IOC_WRITE, 0x48, GdlGrant.size),
  REVOKE: ioc(IOC_WRITE, 0x49, GdlGrant.size),
  CHECK: ioc(IOC_READ | IOC_WRITE, 0x4a, GdlCheck.size),
  CHECK_BATCH: ioc(IOC_READ | IOC_WRITE, 0x4b, GdlCheckBatch.size),
  GET_STATS: ioc(IOC_READ | IOC_WRITE, 0x4c, GdlStats.size),
  GET_DEVICE: ioc(IOC_READ | IOC_WRITE, 0x4d, GdlDeviceInfo.size),
  BIND_CGROUP: ioc(IOC_READ | IOC_WRITE, 0x4e, GdlCgroupBinding.size),
  UNBIND_CGROUP: ioc(IOC_READ | IOC_WRITE, 0x4f, GdlCgroupBinding.size),
  BIND_UID: ioc(IOC_WRITE, 0x50, GdlUidBinding.size),
  UNBIND_UID: ioc(IOC_WRITE, 0x51, GdlUidBinding.size),
} as const;
