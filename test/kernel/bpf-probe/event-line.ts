/**
 * Events as stable one-line text: what the in-guest test tools print as
 * their expectations (test/kernel/tools/bpf_ops.c, test/cuda/cuda_workload.c)
 * and what probe.ts writes with --lines, so a test is a diff.
 */
import type { GdlEvent } from '../../../agent/src/events/types.ts';

/**
 * One event as one stable line, without the fields that differ between
 * runs (timestamps, cpu, cgroup): what a test tool prints as its
 * expectation. Hex for addresses and pointers, decimal for the rest.
 */
export function formatEventLine(ev: GdlEvent): string {
  if (ev.type === 'decision') {
    return `decision ${ev.kind} agent=${ev.agentId} device=${ev.device} alloc=${ev.allocId} ` +
      `addr=0x${ev.addr.toString(16)} length=${ev.length} mode=${ev.mode} result=${ev.result} ` +
      `used=${ev.used} quota=${ev.quota} pid=${ev.pid} tid=${ev.tid} comm=${ev.comm}`;
  }
  return `cuda ${ev.op} result=${ev.result} ptr=0x${ev.ptr.toString(16)} size=${ev.size} ` +
    `pid=${ev.pid} tid=${ev.tid} comm=${ev.comm}`;
}

