/**
 * GdlEvent -> JSON for the SSE stream: bigints as decimal strings,
 * addresses also hex, the DMA mode as r / w / rw, the errno by name, and
 * the wall-clock time of the decision next to the monotonic tsNs.
 */
import { errnoName } from '../backends/errors.ts';
import { modeName } from '../dma-mode.ts';
import { GDL_NO_DEVICE } from '../native/uapi.ts';
import type { GdlEvent } from './types.ts';

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
    // tgid: deprecated alias of pid (the process), kept for older readers;
    // before tid existed, pid was the thread.
    pid: e.pid, tid: e.tid, tgid: e.pid, cgroupId: e.cgroupId.toString(), comm: e.comm, cpu: e.cpu, tsNs: e.tsNs.toString(),
    time: new Date(wallClockMs(e.tsNs)).toISOString(),
  };
  if (e.type === 'cuda') {
    return { type: e.type, op: e.op, result: e.result, ptr: `0x${e.ptr.toString(16)}`, size: e.size.toString(), latencyNs: e.latencyNs.toString(), ...caller };
  }
  return {
    type: e.type,
    kind: e.kind,
    agent: e.agentId.toString(),
    device: e.device === GDL_NO_DEVICE ? null : e.device,
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
