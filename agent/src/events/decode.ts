/**
 * Decode event records (bpf/gdl_events.h) into the typed event model.
 *
 * Two callers: the BPF ring consumer (agent/src/native/ringbuf.ts), which
 * hands over one ring record at a time without copying, and the embedded
 * core (gdlu_events_read), which fills a buffer with back-to-back records.
 * Both end up in decodeRecord(). Nothing here throws on bad input: records
 * of an unknown kind and records too short for their kind are counted in
 * EventSourceStats and skipped, so one bad producer cannot stop the stream.
 */
import { EV_CUDA, EV_DECISION, EVENT_CONSTANTS as C, EVENT_HDR } from '../native/event-layouts.ts';
import type { CudaEvent, CudaOp, DecisionEvent, DecisionKind, EventSourceStats, GdlEvent } from './types.ts';

/** enum gdl_decision_kind, indexed by value. */
const DECISION_KINDS: readonly (DecisionKind | undefined)[] = [
  undefined, 'alloc', 'alloc_fail', 'quota_violation', 'free', 'check', 'deny', 'grant', 'revoke',
];

/** enum gdl_cuda_op, indexed by value. */
const CUDA_OPS: readonly (CudaOp | undefined)[] = [
  undefined, 'cuMemAlloc_v2', 'cuMemAllocManaged', 'cuMemAllocPitch_v2', 'cuMemAllocAsync',
  'cuMemCreate', 'cuMemFree_v2', 'cuMemFreeAsync', 'cuMemRelease',
];

const D = EV_DECISION.fields;
const U = EV_CUDA.fields;
const H = EVENT_HDR.fields;

export function newEventSourceStats(): EventSourceStats {
  return { received: 0, lost: 0, unknown: 0, short: 0 };
}

/**
 * comm is NUL-padded ASCII set by the kernel; decoding it by hand is several
 * times faster than a TextDecoder on a subarray at these lengths.
 */
function readComm(view: DataView, at: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = view.getUint8(at + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function decodeDecision(view: DataView, at: number, stats: EventSourceStats): DecisionEvent | undefined {
  const kind = DECISION_KINDS[view.getUint32(at + D['d.kind'].offset, true)];
  if (kind === undefined) {
    // A decision kind newer than this decoder: same as an unknown record.
    stats.unknown++;
    return undefined;
  }
  return {
    type: 'decision',
    kind,
    tsNs: view.getBigUint64(at + H.ts_ns.offset, true),
    cpu: view.getUint32(at + H.cpu.offset, true),
    agentId: view.getBigUint64(at + D['d.agent_id'].offset, true),
    device: view.getUint32(at + D['d.device'].offset, true),
    allocId: view.getBigUint64(at + D['d.alloc_id'].offset, true),
    addr: view.getBigUint64(at + D['d.addr'].offset, true),
    length: view.getBigUint64(at + D['d.length'].offset, true),
    mode: view.getUint32(at + D['d.mode'].offset, true),
    result: view.getInt32(at + D['d.result'].offset, true),
    used: view.getBigUint64(at + D['d.used'].offset, true),
    quota: view.getBigUint64(at + D['d.quota'].offset, true),
    pid: view.getUint32(at + D.pid.offset, true),
    tgid: view.getUint32(at + D.tgid.offset, true),
    cgroupId: view.getBigUint64(at + D.cgroup_id.offset, true),
    comm: readComm(view, at + D.comm.offset, D.comm.size),
  };
}

function decodeCuda(view: DataView, at: number, stats: EventSourceStats): CudaEvent | undefined {
  const op = CUDA_OPS[view.getUint32(at + U.op.offset, true)];
  if (op === undefined) {
    stats.unknown++;
    return undefined;
  }
  return {
    type: 'cuda',
    op,
    tsNs: view.getBigUint64(at + H.ts_ns.offset, true),
    cpu: view.getUint32(at + H.cpu.offset, true),
    result: view.getInt32(at + U.result.offset, true),
    ptr: view.getBigUint64(at + U.ptr.offset, true),
    size: view.getBigUint64(at + U.size.offset, true),
    latencyNs: view.getBigUint64(at + U.latency_ns.offset, true),
    pid: view.getUint32(at + U.pid.offset, true),
    tgid: view.getUint32(at + U.tgid.offset, true),
    cgroupId: view.getBigUint64(at + U.cgroup_id.offset, true),
    comm: readComm(view, at + U.comm.offset, U.comm.size),
  };
}

/**
 * Decode the one record at [at, at + len) of @view. Returns undefined (and
 * counts why) for a record that is short or of an unknown kind. A record
 * longer than its struct is accepted: producers may append fields.
 */
export function decodeRecord(view: DataView, at: number, len: number, stats: EventSourceStats): GdlEvent | undefined {
  if (len < EVENT_HDR.size) {
    stats.short++;
    return undefined;
  }
  const kind = view.getUint16(at + H.kind.offset, true);
  let ev: GdlEvent | undefined;
  if (kind === C.GDL_EV_DECISION) {
    if (len < EV_DECISION.size) {
      stats.short++;
      return undefined;
    }
    ev = decodeDecision(view, at, stats);
  } else if (kind === C.GDL_EV_CUDA) {
    if (len < EV_CUDA.size) {
      stats.short++;
      return undefined;
    }
    ev = decodeCuda(view, at, stats);
  } else {
    stats.unknown++;
    return undefined;
  }
  if (ev) stats.received++;
  return ev;
}

/**
 * Decode a buffer of back-to-back records, each as long as its header's
 * size says (the embedded core's gdlu_events_read format). A header whose
 * size is smaller than a header, or runs past the buffer, ends the walk:
 * nothing after it can be framed, and it is counted as short.
 */
export function decodeRecords(bytes: Uint8Array, stats: EventSourceStats): GdlEvent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: GdlEvent[] = [];
  let at = 0;
  while (at < bytes.byteLength) {
    const left = bytes.byteLength - at;
    if (left < EVENT_HDR.size) {
      stats.short++;
      break;
    }
    const size = view.getUint16(at + H.size.offset, true);
    if (size < EVENT_HDR.size || size > left) {
      stats.short++;
      break;
    }
    const ev = decodeRecord(view, at, size, stats);
    if (ev) out.push(ev);
    at += size;
  }
  return out;
}
