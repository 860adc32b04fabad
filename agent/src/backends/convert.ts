/** From the C structs' snake_case to the backend model, shared by both backends. */
import type { GdlAgentInfo, GdlDeviceInfo, GdlStats } from '../native/uapi.ts';
import { GDL_DEVICE_FAKE, GDL_DEVICE_PCI } from '../native/uapi.ts';
import type { AgentState, DeviceState, Stats } from './backend.ts';

type V<T> = T extends { decode(b: Buffer): infer R } ? R : never;

export function toStats(s: V<typeof GdlStats>): Stats {
  return {
    allocs: s.allocs,
    allocFailures: s.alloc_failures,
    frees: s.frees,
    bytesAllocated: s.bytes_allocated,
    bytesFreed: s.bytes_freed,
    checks: s.checks,
    checksDenied: s.checks_denied,
    quotaViolations: s.quota_violations,
    grants: s.grants,
    revokes: s.revokes,
    agents: s.agents,
    liveAllocations: s.live_allocations,
    usedBytes: s.used_bytes,
    capacityBytes: s.capacity_bytes,
  };
}

export function toDevice(d: V<typeof GdlDeviceInfo>): DeviceState {
  return {
    index: d.index,
    name: d.name,
    kind: d.kind === GDL_DEVICE_PCI ? 'pci' : d.kind === GDL_DEVICE_FAKE ? 'fake' : 'unknown',
    capacity: d.capacity,
    used: d.used,
    pciDomain: d.pci_domain,
    pciBdf: d.pci_bdf,
    pciId: d.pci_id,
  };
}

export function toAgent(a: Pick<V<typeof GdlAgentInfo>, 'agent_id' | 'quota' | 'used' | 'device_mask' | 'allocations' | 'grants'>): AgentState {
  return {
    id: a.agent_id,
    quota: a.quota,
    used: a.used,
    deviceMask: a.device_mask,
    allocations: a.allocations,
    grants: a.grants,
  };
}
