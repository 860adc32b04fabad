/**
 * JIT warm-up for the ring consumer: run synthetic records through the very
 * code a real drain uses (RingReader.drain -> decodeRecord), so the first
 * real burst is decoded by optimized code rather than the interpreter.
 * Matters most where compiling is slow (an emulated guest) and for
 * benchmarks that should measure the steady state of a long-lived agent.
 */
import { newEventSourceStats } from '../../../agent/src/events/decode.ts';
import type { GdlEvent } from '../../../agent/src/events/types.ts';
import { EV_CUDA, EV_DECISION, EVENT_CONSTANTS as C } from '../../../agent/src/native/event-layouts.ts';
import { BPF_RINGBUF_HDR_SZ, RingReader } from '../../../agent/src/native/ringbuf.ts';

const PAGE = 4096;
const RING = 1 << 20;

/** Decode @records synthetic records (decisions and a few CUDA calls); returns how many decoded. */
export function warmUpDecoder(records: number, onBatch?: (events: GdlEvent[]) => void): number {
  const consumer = new ArrayBuffer(PAGE);
  const producer = new ArrayBuffer(PAGE + 2 * RING);
  const data = new DataView(producer, PAGE);
  const prodPos = new BigUint64Array(producer, 0, 1);
  const reader = new RingReader(consumer, producer, PAGE, RING);
  const stats = newEventSourceStats();
  let prod = 0;
  let decoded = 0;
  while (decoded < records) {
    // Fill most of the ring, then drain it as the real consumer would.
    for (let i = 0; i < 4096; i++) {
      const cudaRec = i % 16 === 15;
      const size = cudaRec ? EV_CUDA.size : EV_DECISION.size;
      const at = prod % RING;
      data.setUint32(at, size, true);
      const rec = at + BPF_RINGBUF_HDR_SZ;
      data.setUint16(rec, cudaRec ? C.GDL_EV_CUDA : C.GDL_EV_DECISION, true);
      data.setUint16(rec + 2, size, true);
      data.setBigUint64(rec + 8, 5_000_000_000_000n + BigInt(prod), true); // real timestamps need all 64 bits
      // a kind/op that varies, as in real traffic
      data.setUint32(rec + 16, (i % 8) + 1, true);
      data.setUint32(rec + 24, i & 7, true);
      prod += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    }
    prodPos[0] = BigInt(prod);
    for (;;) {
      const out: GdlEvent[] = [];
      const n = reader.drain(out, stats, 4096);
      decoded += out.length;
      onBatch?.(out);
      if (n < 4096) break;
    }
  }
  return decoded;
}
