/**
 * GdlEvent -> JSON for the SSE stream: bigints as decimal strings,
 * addresses also hex, the DMA mode as r / w / rw, the errno by name, and
 * the wall-clock time of the decision next to the monotonic tsNs.
 */
import { errnoName } from '../backends/errors.ts';
import type { GdlEvent } from './types.ts';

/** GDL_DMA_* bits -> "r", "w" or "rw" (the API's and the policy's spelling). */
export function modeName(bits: number): 'r' | 'w' | 'rw' {
  return bits === 3 ? 'rw' : bits === 2 ? 'w' : 'r';
}

/**
 * Events carry CLOCK_MONOTONIC timestamps; people want wall-clock time.
 * process.hrtime is CLOCK_MONOTONIC on Linux, so the offset between the two
 * clocks converts one into the other.
 */
export function wallClockMs(tsNs: bigint): number {
  const ageNs = process.hrtime.bigint() - tsNs;
  return Date.now() - Number(ageNs) / 1e6;
}

export function eventJson(e: GdlEvent) {
  const caller = {
    pid: e.pid, tgid: e.tgid, cgroupId: e.cgroupId.toString(), comm: e.comm, cpu: e.cpu, tsNs: e.tsNs.toString(),
    time: new Date(wallClockMs(e.tsNs)).toISOString(),
  };
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
    mode: modeName(e.mode),
    result: e.result,
    ...(e.result !== 0 ? { errno: errnoName(e.result) } : {}),
    used: e.used.toString(),
    quota: e.quota.toString(),
    ...caller,
  };
}
