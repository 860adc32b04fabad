/** Backend model -> JSON bodies (64-bit values as strings). */
import type { AgentState, Allocation, DeviceState, Grant } from '../backends/backend.ts';
import { modeName } from './parse.ts';

export function agentJson(a: AgentState) {
  const devices: number[] = [];
  for (let i = 0; i < 64; i++) if ((a.deviceMask >> BigInt(i)) & 1n) devices.push(i);
  return {
    id: a.id.toString(),
    quota: a.quota.toString(),
    used: a.used.toString(),
    available: (a.quota > a.used ? a.quota - a.used : 0n).toString(),
    deviceMask: `0x${a.deviceMask.toString(16)}`,
    devices,
    allocations: a.allocations.toString(),
    grants: a.grants.toString(),
  };
}

export function deviceJson(d: DeviceState) {
  return {
    index: d.index,
    name: d.name,
    kind: d.kind,
    capacity: d.capacity.toString(),
    used: d.used.toString(),
    free: (d.capacity > d.used ? d.capacity - d.used : 0n).toString(),
    ...(d.kind === 'pci' ? { pci: { domain: d.pciDomain, bdf: d.pciBdf, id: `0x${d.pciId.toString(16).padStart(8, '0')}` } } : {}),
  };
}

export function allocationJson(a: Allocation) {
  return {
    id: a.id.toString(),
    agent: a.agent.toString(),
    size: a.size.toString(),
    device: a.device,
    persistent: a.persistent,
    ownerPid: a.ownerPid,
  };
}

export function grantJson(g: Grant) {
  return {
    agent: g.agent.toString(),
    device: g.device,
    addr: g.addr.toString(),
    addrHex: `0x${g.addr.toString(16)}`,
    // deprecated names of addr and addrHex, for older readers
    start: g.addr.toString(),
    startHex: `0x${g.addr.toString(16)}`,
    length: g.length.toString(),
    end: `0x${(g.addr + g.length).toString(16)}`,
    mode: modeName(g.mode),
  };
}
