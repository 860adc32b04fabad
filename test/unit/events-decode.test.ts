/**
 * decodeRecords/decodeRecord on synthetic buffers: every field at its
 * offset, back-to-back framing, and bad records counted, never thrown.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRecordInto, decodeRecords, decodeRecord, newEventSourceStats } from '../../agent/src/events/decode.ts';
import { EV_BATCH, EV_CUDA, EV_DECISION, EVENT_CONSTANTS as C } from '../../agent/src/native/event-layouts.ts';
import type { CudaEvent, DecisionEvent, GdlEvent } from '../../agent/src/events/types.ts';

const D = EV_DECISION.fields;
const U = EV_CUDA.fields;

function putComm(v: DataView, at: number, comm: string): void {
  for (let i = 0; i < comm.length; i++) v.setUint8(at + i, comm.charCodeAt(i));
}

function hdr(v: DataView, kind: number, size: number, cpu: number, ts: bigint): void {
  v.setUint16(0, kind, true);
  v.setUint16(2, size, true);
  v.setUint32(4, cpu, true);
  v.setBigUint64(8, ts, true);
}

function decisionRecord(kind: number, seq: number): Uint8Array {
  const b = new Uint8Array(EV_DECISION.size);
  const v = new DataView(b.buffer);
  hdr(v, C.GDL_EV_DECISION, EV_DECISION.size, 3, 1000n + BigInt(seq));
  v.setUint32(D['d.kind'].offset, kind, true);
  v.setUint32(D['d.device'].offset, 0xffffffff, true);
  v.setBigUint64(D['d.agent_id'].offset, 0xfedcba9876543210n, true);
  v.setBigUint64(D['d.alloc_id'].offset, BigInt(seq), true);
  v.setBigUint64(D['d.addr'].offset, 0xffff_ffff_ffff_f000n, true);
  v.setBigUint64(D['d.length'].offset, 4096n, true);
  v.setUint32(D['d.mode'].offset, 3, true);
  v.setInt32(D['d.result'].offset, -122, true);
  v.setBigUint64(D['d.used'].offset, 1n << 40n, true);
  v.setBigUint64(D['d.quota'].offset, 1n << 41n, true);
  v.setUint32(D.tid.offset, 4242, true);
  v.setUint32(D.pid.offset, 4240, true);
  v.setBigUint64(D.cgroup_id.offset, 77n, true);
  putComm(v, D.comm.offset, 'fifteen-chars-x');
  return b;
}

function cudaRecord(op: number): Uint8Array {
  const b = new Uint8Array(EV_CUDA.size);
  const v = new DataView(b.buffer);
  hdr(v, C.GDL_EV_CUDA, EV_CUDA.size, 1, 5n);
  v.setUint32(U.op.offset, op, true);
  v.setInt32(U.result.offset, 2, true);
  v.setBigUint64(U.ptr.offset, 0x7f00_0000_1000n, true);
  v.setBigUint64(U.size.offset, 1n << 33n, true);
  v.setBigUint64(U.latency_ns.offset, 1234n, true);
  v.setUint32(U.tid.offset, 10, true);
  v.setUint32(U.pid.offset, 9, true);
  v.setBigUint64(U.cgroup_id.offset, 1n, true);
  putComm(v, U.comm.offset, 'cuda_app');
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('decision record: every field, 64-bit values kept exact', () => {
  const stats = newEventSourceStats();
  const [ev] = decodeRecords(decisionRecord(C.GDL_DEC_DENY, 7), stats) as DecisionEvent[];
  assert.equal(ev, {
    type: 'decision', kind: 'deny', tsNs: 1007n, cpu: 3,
    agentId: 0xfedcba9876543210n, device: 0xffffffff, allocId: 7n,
    addr: 0xffff_ffff_ffff_f000n, length: 4096n, mode: 3, result: -122,
    used: 1n << 40n, quota: 1n << 41n,
    pid: 4240, tid: 4242, cgroupId: 77n, comm: 'fifteen-chars-x',
  });
  assert.equal(stats, { received: 1, lost: 0, unknown: 0, short: 0 });
});

test('every decision kind and cuda op has a name', () => {
  const kinds = ['alloc', 'alloc_fail', 'quota_violation', 'free', 'check', 'deny', 'grant', 'revoke'];
  const stats = newEventSourceStats();
  const evs = decodeRecords(concat(...kinds.map((_, i) => decisionRecord(i + 1, i))), stats) as DecisionEvent[];
  assert.equal(evs.map((e) => e.kind), kinds);
  const ops = ['cuMemAlloc_v2', 'cuMemAllocManaged', 'cuMemAllocPitch_v2', 'cuMemAllocAsync',
    'cuMemCreate', 'cuMemFree_v2', 'cuMemFreeAsync', 'cuMemRelease'];
  const cev = decodeRecords(concat(...ops.map((_, i) => cudaRecord(i + 1))), stats) as CudaEvent[];
  assert.equal(cev.map((e) => e.op), ops);
  assert.is(stats.received, 16);
});

test('cuda record: every field', () => {
  const stats = newEventSourceStats();
  const [ev] = decodeRecords(cudaRecord(C.GDL_CUDA_MEM_ALLOC_PITCH), stats);
  assert.equal(ev, {
    type: 'cuda', op: 'cuMemAllocPitch_v2', tsNs: 5n, cpu: 1, result: 2,
    ptr: 0x7f00_0000_1000n, size: 1n << 33n, latencyNs: 1234n,
    pid: 9, tid: 10, cgroupId: 1n, comm: 'cuda_app',
  });
});

test('unknown record kind and unknown decision kind are counted and skipped', () => {
  const alien = new Uint8Array(24);
  hdr(new DataView(alien.buffer), 99, 24, 0, 0n);
  const stats = newEventSourceStats();
  const evs = decodeRecords(concat(decisionRecord(1, 1), alien, decisionRecord(42, 2), cudaRecord(9), decisionRecord(4, 3)), stats);
  assert.equal(evs.map((e) => (e as DecisionEvent).allocId), [1n, 3n]);
  assert.equal(stats, { received: 2, lost: 0, unknown: 3, short: 0 });
});

test('a record shorter than its kind is counted short and skipped', () => {
  const cut = decisionRecord(1, 1).slice(0, 64);
  new DataView(cut.buffer).setUint16(2, 64, true);
  const stats = newEventSourceStats();
  const evs = decodeRecords(concat(cut, cudaRecord(1)), stats);
  assert.is(evs.length, 1);
  assert.equal(stats, { received: 1, lost: 0, unknown: 0, short: 1 });
});

test('a longer record (appended fields) decodes and framing follows its size', () => {
  const long = new Uint8Array(EV_DECISION.size + 16);
  long.set(decisionRecord(5, 1));
  new DataView(long.buffer).setUint16(2, long.length, true);
  const stats = newEventSourceStats();
  const evs = decodeRecords(concat(long, decisionRecord(6, 2)), stats) as DecisionEvent[];
  assert.equal(evs.map((e) => e.kind), ['check', 'deny']);
});

test('truncated tail and bad sizes end the walk, counted, without throwing', () => {
  for (const tail of [new Uint8Array(5), decisionRecord(1, 9).slice(0, 40)]) {
    const stats = newEventSourceStats();
    const evs = decodeRecords(concat(decisionRecord(1, 1), tail), stats);
    assert.is(evs.length, 1);
    assert.is(stats.short, 1);
  }
  const zero = new Uint8Array(32); // size 0 would loop forever if trusted
  const stats = newEventSourceStats();
  assert.equal(decodeRecords(zero, stats), []);
  assert.is(stats.short, 1);
  assert.equal(decodeRecords(new Uint8Array(0), stats), []);
});

test('decodeRecord works at an offset inside a larger view (ring use)', () => {
  const buf = concat(new Uint8Array(8), decisionRecord(7, 5));
  const stats = newEventSourceStats();
  const ev = decodeRecord(new DataView(buf.buffer), 8, EV_DECISION.size, stats) as DecisionEvent;
  assert.is(ev.kind, 'grant');
  assert.is(decodeRecord(new DataView(buf.buffer), 8, 8, stats), undefined);
  assert.is(stats.short, 1);
});

test('repeated-value caches never hand back a stale field or comm', () => {
  const recs = [1n, 2n, 1n, 1n, 0x1_0000_0000n, 1n].map((agent, i) => {
    const r = decisionRecord(C.GDL_DEC_CHECK, i);
    const v = new DataView(r.buffer);
    v.setBigUint64(D['d.agent_id'].offset, agent, true);
    r.fill(0, D.comm.offset, D.comm.offset + 16);
    putComm(v, D.comm.offset, i % 2 ? 'odd' : i === 4 ? 'evenfour' : 'even');
    return r;
  });
  const evs = decodeRecords(concat(...recs), newEventSourceStats()) as DecisionEvent[];
  assert.equal(evs.map((e) => e.agentId), [1n, 2n, 1n, 1n, 0x1_0000_0000n, 1n]);
  assert.equal(evs.map((e) => e.comm), ['even', 'odd', 'even', 'odd', 'evenfour', 'odd']);
  assert.equal(evs.map((e) => e.allocId), [0n, 1n, 2n, 3n, 4n, 5n]);
});


/** A module batch (struct gdl_ev_batch) of @recs, in a ring record of @cap slots. */
function batchRecord(recs: Uint8Array[], cap = recs.length, count = recs.length): Uint8Array {
  const b = new Uint8Array(EV_BATCH.fields.ev.offset + cap * EV_DECISION.size);
  const v = new DataView(b.buffer);
  hdr(v, C.GDL_EV_BATCH, EV_BATCH.fields.ev.offset + recs.length * EV_DECISION.size, 1, 9n);
  v.setUint32(EV_BATCH.fields.count.offset, count, true);
  recs.forEach((r, i) => b.set(r, EV_BATCH.fields.ev.offset + i * EV_DECISION.size));
  return b;
}

test('a module batch gives each of its decisions, in order, whatever the record slack', () => {
  const recs = [0, 1, 2].map((i) => decisionRecord(C.GDL_DEC_CHECK + (i % 2), i));
  const rec = batchRecord(recs, 16); // the program reserved 16 slots for 3
  const stats = newEventSourceStats();
  const out: GdlEvent[] = [];
  decodeRecordInto(new DataView(rec.buffer), 0, rec.length, stats, out);
  const evs = out as DecisionEvent[];
  assert.equal(evs.map((e) => [e.kind, e.allocId, e.tsNs]), [['check', 0n, 1000n], ['deny', 1n, 1001n], ['check', 2n, 1002n]]);
  assert.is(evs[1]!.comm, 'fifteen-chars-x');
  assert.is(evs[2]!.cgroupId, 77n);
  assert.equal(stats, { received: 3, lost: 0, unknown: 0, short: 0 });
  // Back-to-back framing (decodeRecords) opens batches too.
  assert.is(decodeRecords(concat(batchRecord(recs), cudaRecord(1)), newEventSourceStats()).length, 4);
});

test('a batch whose count does not fit gives nothing and counts short; a bad decision inside only itself', () => {
  const recs = [decisionRecord(C.GDL_DEC_ALLOC, 0), decisionRecord(C.GDL_DEC_FREE, 1)];
  const stats = newEventSourceStats();
  const out: GdlEvent[] = [];
  const over = batchRecord(recs, 2, 3); // says 3, holds 2
  decodeRecordInto(new DataView(over.buffer), 0, over.length, stats, out);
  const huge = batchRecord(recs, 2, C.GDL_BATCH_EVENTS + 1);
  decodeRecordInto(new DataView(huge.buffer), 0, huge.length, stats, out);
  decodeRecordInto(new DataView(over.buffer), 0, EV_BATCH.fields.ev.offset - 1, stats, out); // no room for its count
  assert.is(out.length, 0);
  assert.is(stats.short, 3);
  new DataView(recs[0]!.buffer).setUint32(D['d.kind'].offset, 200, true); // a kind newer than this decoder
  const mixed = batchRecord(recs);
  decodeRecordInto(new DataView(mixed.buffer), 0, mixed.length, stats, out);
  assert.equal((out as DecisionEvent[]).map((e) => e.kind), ['free']);
  assert.is(stats.unknown, 1);
});

test('the batch layout is the compiler\'s: header, count, dropped, then whole decision records', () => {
  assert.is(EV_BATCH.fields.hdr.offset, 0);
  assert.is(EV_BATCH.fields.ev.offset % 8, 0);
  assert.is(EV_BATCH.fields.ev.size, C.GDL_BATCH_EVENTS * EV_DECISION.size);
  assert.is(EV_BATCH.size, EV_BATCH.fields.ev.offset + EV_BATCH.fields.ev.size);
  assert.ok(EV_BATCH.size <= 0xffff, 'the header\'s size is 16 bits');
});

test.run();
