/** GdlEvent -> JSON for the SSE stream (bigints as decimal strings, addresses also hex). */
import type { GdlEvent } from './types.ts';

export function eventJson(e: GdlEvent) {
  const caller = { pid: e.pid, tgid: e.tgid, cgroupId: e.cgroupId.toString(), comm: e.comm, cpu: e.cpu, tsNs: e.tsNs.toString() };
  if (e.type === 'cuda') {
    return { type: e.type, op: e.op, result: e.result, ptr: `0x${e.ptr.toString(16)}`, size: e.size.toString(), latencyNs: e.latencyNs.toString(), ...caller };
  }
  return {
    type: e.type,
    kind: e.kind,
    agent: e.agentId.toString(),
    device: e.device === 0xffffffff ? null : e.device,
    allocId: e.allocId.toString(),
    addr: e.addr.toString(),
    addrHex: `0x${e.addr.toString(16)}`,
    length: e.length.toString(),
    mode: e.mode,
    result: e.result,
    used: e.used.toString(),
    quota: e.quota.toString(),
    ...caller,
  };
}
