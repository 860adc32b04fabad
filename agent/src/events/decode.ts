/**
 * Decode event records (kmod/include/uapi/gdl_events.h) into the typed event model.
 *
 * Two callers: the BPF ring consumer (agent/src/native/ringbuf.ts), which
 * hands over one ring record at a time without copying, and the embedded
 * core (gdlu_events_read), which fills a buffer with back-to-back records.
 * Both end up in decodeRecordInto(), which also opens the module's batches
 * (struct gdl_ev_batch: many decisions in one ring record). Nothing here
 * throws on bad input: records of an unknown kind and records too short for
 * their kind are counted in EventSourceStats and skipped, so one bad
 * producer cannot stop the stream.
 */
import { CUDA_OPS as OP_NAMES, DECISION_KINDS as KIND_NAMES } from '../native/abi.gen.ts';
import { EV_BATCH, EV_CUDA, EV_DECISION, EVENT_CONSTANTS as C, EVENT_HDR } from '../native/event-layouts.ts';
import type { CudaEvent, CudaOp, DecisionEvent, DecisionKind, EventCaller, EventSourceStats, GdlEvent } from './types.ts';

/** A generated table of names by value (abi.gen.ts) as an array indexed by value, up to @max. */
function byValue<N extends string>(names: Readonly<Record<number, N>>, max: number): readonly (N | undefined)[] {
  return Array.from({ length: max + 1 }, (_, v) => names[v]);
}

/** enum gdl_decision_kind (GDL_DECISION_KINDS) and enum gdl_cuda_op (GDL_CUDA_EVENT_OPS), generated. */
const DECISION_KINDS = byValue<DecisionKind>(KIND_NAMES, C.GDL_DEC_KIND_MAX);
const CUDA_OPS = byValue<CudaOp>(OP_NAMES, C.GDL_CUDA_OP_MAX);

const D = EV_DECISION.fields;
const U = EV_CUDA.fields;
const H = EVENT_HDR.fields;
const B = EV_BATCH.fields;

export function newEventSourceStats(): EventSourceStats {
  return { received: 0, lost: 0, unknown: 0, short: 0 };
}

/*
 * Consecutive events repeat most 64-bit fields (same agent, quota, cgroup,
 * often the same used bytes) and the comm. Allocating a BigInt or a string
 * costs more than everything else a field's decode does, so each field slot
 * remembers the last raw value it saw and hands back the same bigint/string
 * when the bytes did not change. Values are immutable, so sharing is safe.
 */
const enum Slot { Ts, Agent, Alloc, Addr, Length, Used, Quota, Cgroup, Ptr, Size, Latency, Count }
const lastLo = new Array<number>(Slot.Count).fill(-1);
const lastHi = new Array<number>(Slot.Count).fill(-1);
const lastVal = new Array<bigint>(Slot.Count).fill(0n);

function u64(view: DataView, at: number, slot: Slot): bigint {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (lo === lastLo[slot] && hi === lastHi[slot]) return lastVal[slot]!;
  const v = hi === 0 ? BigInt(lo) : view.getBigUint64(at, true);
  lastLo[slot] = lo;
  lastHi[slot] = hi;
  lastVal[slot] = v;
  return v;
}

/** The comm cache: its 16 bytes as 4 words, and the string they made. */
const commWords = [-1, -1, -1, -1];
let commStr = '';

/** comm is NUL-padded text set by the kernel (task->comm). */
function readComm(view: DataView, at: number): string {
  const w0 = view.getUint32(at, true);
  const w1 = view.getUint32(at + 4, true);
  const w2 = view.getUint32(at + 8, true);
  const w3 = view.getUint32(at + 12, true);
  if (w0 === commWords[0] && w1 === commWords[1] && w2 === commWords[2] && w3 === commWords[3]) return commStr;
  let s = '';
  for (let i = 0; i < 16; i++) {
    const c = view.getUint8(at + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  commWords[0] = w0;
  commWords[1] = w1;
  commWords[2] = w2;
  commWords[3] = w3;
  commStr = s;
  return s;
}

/** Where a record keeps its caller: struct gdl_ev_decision and struct gdl_ev_cuda share these names. */
type CallerLayout = Record<'tid' | 'pid' | 'cgroup_id' | 'comm', { readonly offset: number }>;

/** The header's time and cpu and the caller's fields, added to @ev, the record's own fields. */
function withCaller<E extends GdlEvent>(ev: Omit<E, keyof EventCaller | 'tsNs' | 'cpu'>, view: DataView, at: number, f: CallerLayout): E {
  const e = ev as E;
  e.tsNs = u64(view, at + H.ts_ns.offset, Slot.Ts);
  e.cpu = view.getUint32(at + H.cpu.offset, true);
  e.pid = view.getUint32(at + f.pid.offset, true);
  e.tid = view.getUint32(at + f.tid.offset, true);
  e.cgroupId = u64(view, at + f.cgroup_id.offset, Slot.Cgroup);
  e.comm = readComm(view, at + f.comm.offset);
  return e;
}

function decodeDecision(view: DataView, at: number, stats: EventSourceStats): DecisionEvent | undefined {
  const kind = DECISION_KINDS[view.getUint32(at + D['d.kind'].offset, true)];
  if (kind === undefined) {
    // A decision kind newer than this decoder: same as an unknown record.
    stats.unknown++;
    return undefined;
  }
  return withCaller<DecisionEvent>({
    type: 'decision',
    kind,
    agentId: u64(view, at + D['d.agent_id'].offset, Slot.Agent),
    device: view.getUint32(at + D['d.device'].offset, true),
    allocId: u64(view, at + D['d.alloc_id'].offset, Slot.Alloc),
    addr: u64(view, at + D['d.addr'].offset, Slot.Addr),
    length: u64(view, at + D['d.length'].offset, Slot.Length),
    mode: view.getUint32(at + D['d.mode'].offset, true),
    result: view.getInt32(at + D['d.result'].offset, true),
    used: u64(view, at + D['d.used'].offset, Slot.Used),
    quota: u64(view, at + D['d.quota'].offset, Slot.Quota),
  }, view, at, D);
}

function decodeCuda(view: DataView, at: number, stats: EventSourceStats): CudaEvent | undefined {
  const op = CUDA_OPS[view.getUint32(at + U.op.offset, true)];
  if (op === undefined) {
    stats.unknown++;
    return undefined;
  }
  return withCaller<CudaEvent>({
    type: 'cuda',
    op,
    result: view.getInt32(at + U.result.offset, true),
    ptr: u64(view, at + U.ptr.offset, Slot.Ptr),
    size: u64(view, at + U.size.offset, Slot.Size),
    latencyNs: u64(view, at + U.latency_ns.offset, Slot.Latency),
  }, view, at, U);
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
 * Decode the record at [at, at + len) of @view into @out: a batch gives each
 * of its decisions, any other record itself (decodeRecord). A batch whose
 * count does not fit its record is short, and gives nothing: the count
 * cannot be trusted, so neither can the records it frames.
 */
export function decodeRecordInto(view: DataView, at: number, len: number, stats: EventSourceStats, out: GdlEvent[]): void {
  if (len < EVENT_HDR.size || view.getUint16(at + H.kind.offset, true) !== C.GDL_EV_BATCH) {
    const ev = decodeRecord(view, at, len, stats);
    if (ev) out.push(ev);
    return;
  }
  const count = len < B.ev.offset ? -1 : view.getUint32(at + B.count.offset, true);
  if (count < 0 || count > C.GDL_BATCH_EVENTS || B.ev.offset + count * EV_DECISION.size > len) {
    stats.short++;
    return;
  }
  for (let i = 0, rec = at + B.ev.offset; i < count; i++, rec += EV_DECISION.size) {
    const ev = decodeRecord(view, rec, EV_DECISION.size, stats);
    if (ev) out.push(ev);
  }
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
    decodeRecordInto(view, at, size, stats, out);
    at += size;
  }
  return out;
}
