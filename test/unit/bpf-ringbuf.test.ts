/**
 * RingReader on memory laid out like a kernel BPF ring (consumer page;
 * producer page + data area mapped twice): framing, wrap-around, BUSY and
 * DISCARD bits, consumer position published, bad records counted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, RingReader } from '../../agent/src/native/ringbuf.ts';
import { newEventSourceStats } from '../../agent/src/events/decode.ts';
import { EV_DECISION, EVENT_CONSTANTS as C } from '../../agent/src/native/event-layouts.ts';
import type { DecisionEvent, GdlEvent } from '../../agent/src/events/types.ts';

const PAGE = 4096;

/** A fake kernel producer writing into both copies of the data area. */
class FakeRing {
  readonly consumer = new ArrayBuffer(PAGE);
  readonly producer: ArrayBuffer;
  readonly bytes: Uint8Array;
  prod = 0n;
  constructor(readonly size: number) {
    this.producer = new ArrayBuffer(PAGE + 2 * size);
    this.bytes = new Uint8Array(this.producer, PAGE);
  }
  get cons(): bigint {
    return new BigUint64Array(this.consumer)[0]!;
  }
  free(): number {
    return this.size - Number(this.prod - this.cons);
  }
  private put(off: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = (off + i) % this.size;
      this.bytes[at] = data[i]!;
      this.bytes[at + this.size] = data[i]!;
    }
  }
  /** Reserve and (unless busy) commit one record; returns false when full. */
  produce(body: Uint8Array, flags = 0): boolean {
    const total = (body.length + 8 + 7) & ~7;
    if (total > this.free()) return false;
    const off = Number(this.prod) % this.size;
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, (body.length | flags) >>> 0, true);
    this.put(off, hdr);
    this.put(off + 8, body);
    this.prod += BigInt(total);
    new BigUint64Array(this.producer)[0] = this.prod;
    return true;
  }
  commit(at: bigint, len: number): void {
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, len, true);
    this.put(Number(at) % this.size, hdr);
  }
  reader(): RingReader {
    return new RingReader(this.consumer, this.producer, PAGE, this.size);
  }
}

function decision(seq: number, len: number = EV_DECISION.size): Uint8Array {
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint16(0, C.GDL_EV_DECISION, true);
  v.setUint16(2, len, true);
  if (len >= EV_DECISION.size) {
    v.setUint32(EV_DECISION.fields['d.kind'].offset, C.GDL_DEC_ALLOC, true);
    v.setBigUint64(EV_DECISION.fields['d.alloc_id'].offset, BigInt(seq), true);
  }
  return b;
}

const ids = (evs: GdlEvent[]) => evs.map((e) => Number((e as DecisionEvent).allocId));

test('records in order, consumer position published, nothing twice', () => {
  const ring = new FakeRing(4096);
  const r = ring.reader();
  for (let i = 1; i <= 5; i++) assert.ok(ring.produce(decision(i)));
  const out: GdlEvent[] = [];
  const stats = newEventSourceStats();
  assert.is(r.drain(out, stats), 5);
  assert.equal(ids(out), [1, 2, 3, 4, 5]);
  assert.is(ring.cons, ring.prod);
  assert.is(r.pending(), 0);
  assert.is(r.drain(out, stats), 0);
  assert.is(stats.received, 5);
});

test('wrap-around: thousands of records through a small ring, none lost or reordered', () => {
  const ring = new FakeRing(4096); // 32 decision records per lap (120 bytes each)
  const r = ring.reader();
  const out: GdlEvent[] = [];
  const stats = newEventSourceStats();
  let next = 1;
  for (let round = 0; round < 300; round++) {
    // produce a varying number, so records straddle the end of the area
    for (let k = 0; k < (round % 7) + 3 && ring.produce(decision(next)); k++) next++;
    r.drain(out, stats, round % 2 ? 2 : Infinity);
  }
  r.drain(out, stats);
  assert.is(out.length, next - 1);
  assert.equal(ids(out), Array.from({ length: next - 1 }, (_, i) => i + 1));
  assert.ok(next > 1000);
});

test('a BUSY record stops the walk until committed; DISCARD is skipped and counted', () => {
  const ring = new FakeRing(4096);
  const r = ring.reader();
  ring.produce(decision(1));
  const busyAt = ring.prod;
  ring.produce(decision(2), BPF_RINGBUF_BUSY_BIT);
  ring.produce(decision(3), BPF_RINGBUF_DISCARD_BIT);
  ring.produce(decision(4));
  const out: GdlEvent[] = [];
  const stats = newEventSourceStats();
  assert.is(r.drain(out, stats), 1);
  assert.equal(ids(out), [1]);
  assert.is(ring.cons, busyAt, 'stops before the busy record');
  ring.commit(busyAt, EV_DECISION.size);
  assert.is(r.drain(out, stats), 3);
  assert.equal(ids(out), [1, 2, 4]);
  assert.is(r.counters.discarded, 1);
  assert.is(r.counters.records, 4);
});

test('short and unknown records are counted, the walk goes on', () => {
  const ring = new FakeRing(4096);
  const r = ring.reader();
  ring.produce(decision(1, 40));
  const alien = decision(0);
  new DataView(alien.buffer).setUint16(0, 77, true);
  ring.produce(alien);
  ring.produce(decision(2));
  const out: GdlEvent[] = [];
  const stats = newEventSourceStats();
  assert.is(r.drain(out, stats), 3);
  assert.equal(ids(out), [2]);
  assert.equal(stats, { received: 1, lost: 0, unknown: 1, short: 1 });
});

test('rejects a ring size that is not a power of two', () => {
  assert.throws(() => new RingReader(new ArrayBuffer(PAGE), new ArrayBuffer(PAGE + 6000), PAGE, 3000));
});

test.run();
