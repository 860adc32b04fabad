/**
 * A BPF ring buffer consumer in plain JS: no FFI call and no callback per
 * event, no native addon.
 *
 * The ring map's fd is mmap()ed the way libbpf's ring_buffer__add does it:
 *  - offset 0, one page, read-write: the consumer position (we write it);
 *  - offset page_size, read-only: one page with the producer position, then
 *    the data area, which the kernel maps twice back to back so a record
 *    that wraps around the end is still contiguous in our view.
 * Both mappings become ArrayBuffers through koffi.view(). A drain reads the
 * producer position, walks the 8-byte record headers up to it, decodes each
 * record in place, and publishes the new consumer position so the kernel can
 * reuse the space. Waiting for data is libuv polling the map fd (epoll, on
 * the event loop, never blocking it) or a timer.
 */
import koffi from 'koffi';
import { decodeRecordInto } from '../events/decode.ts';
import type { EventSourceStats, GdlEvent } from '../events/types.ts';

/** Record header bits (uapi/linux/bpf.h). */
export const BPF_RINGBUF_BUSY_BIT = 0x8000_0000;
export const BPF_RINGBUF_DISCARD_BIT = 0x4000_0000;
export const BPF_RINGBUF_HDR_SZ = 8;

/** Counters of the ring itself (records, not events). */
export interface RingCounters {
  /** records consumed, any kind */
  records: number;
  /** records the producer discarded (bpf_ringbuf_discard) */
  discarded: number;
}

/**
 * The walking logic over the two mappings, separate from mmap so it can be
 * tested on plain ArrayBuffers laid out like the kernel's.
 */
export class RingReader {
  readonly #consumerPos: BigUint64Array;
  readonly #producerPos: BigUint64Array;
  /** The data area (twice), as u32 for atomic header loads and as bytes. */
  readonly #hdrWords: Uint32Array;
  readonly #data: DataView;
  readonly #mask: number;
  readonly counters: RingCounters = { records: 0, discarded: 0 };

  /**
   * @param consumerPage the page at offset 0 (consumer position at byte 0)
   * @param producerArea page_size + 2 * dataSize bytes: producer position at
   *                     byte 0, data from byte pageSize
   */
  constructor(consumerPage: ArrayBuffer, producerArea: ArrayBuffer, pageSize: number, dataSize: number) {
    if (dataSize <= 0 || (dataSize & (dataSize - 1)) !== 0) throw new RangeError(`ring size ${dataSize} is not a power of 2`);
    if (producerArea.byteLength < pageSize + 2 * dataSize) throw new RangeError('producer area too small');
    this.#consumerPos = new BigUint64Array(consumerPage, 0, 1);
    this.#producerPos = new BigUint64Array(producerArea, 0, 1);
    this.#hdrWords = new Uint32Array(producerArea, pageSize, (2 * dataSize) / 4);
    this.#data = new DataView(producerArea, pageSize, 2 * dataSize);
    this.#mask = dataSize - 1;
  }

  /** Bytes published by the producer and not yet consumed. */
  pending(): number {
    return Number(Atomics.load(this.#producerPos, 0) - Atomics.load(this.#consumerPos, 0));
  }

  /**
   * Decode records into @out until this call has added @max events or more
   * (a batch record adds up to GDL_BATCH_EVENTS at once) or the ring is
   * empty. Returns the number of records consumed (decoded, skipped as bad,
   * or discarded). Stops at the first record the producer has reserved but
   * not yet committed (BUSY): records are consumed strictly in order.
   */
  drain(out: GdlEvent[], stats: EventSourceStats, max = Number.POSITIVE_INFINITY): number {
    // Acquire: a record's header and body are read only after the producer
    // position that covers them (the kernel orders its writes the same way).
    let cons = Number(Atomics.load(this.#consumerPos, 0));
    const prod = Number(Atomics.load(this.#producerPos, 0));
    const start = out.length;
    let n = 0;
    while (cons < prod && out.length - start < max) {
      const at = cons & this.#mask;
      const hdr = Atomics.load(this.#hdrWords, at >>> 2);
      if (hdr & BPF_RINGBUF_BUSY_BIT) break;
      const len = hdr & 0x3fff_ffff; // clear BUSY and DISCARD
      if (hdr & BPF_RINGBUF_DISCARD_BIT) {
        this.counters.discarded++;
      } else {
        decodeRecordInto(this.#data, at + BPF_RINGBUF_HDR_SZ, len, stats, out);
      }
      cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7;
      n++;
      // Give space back as we go so a busy producer is not starved by a
      // long batch; one plain store, cheap.
      if ((n & 63) === 0) Atomics.store(this.#consumerPos, 0, BigInt(cons));
    }
    Atomics.store(this.#consumerPos, 0, BigInt(cons));
    this.counters.records += n;
    return n;
  }
}

// ---- mmap of a real ring map ------------------------------------------------

const libc = koffi.load('libc.so.6');
const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)');
const munmap = libc.func('int munmap(void *addr, size_t len)');
const getpagesize = libc.func('int getpagesize(void)');

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

function mapOrThrow(len: number, prot: number, fd: number, off: number): bigint {
  const p: bigint | null = mmap(null, len, prot, MAP_SHARED, fd, off);
  if (p === null || p === MAP_FAILED) {
    const errno = koffi.errno();
    throw Object.assign(new Error(`mmap(ring fd ${fd}, ${len} bytes at ${off}): errno ${errno}`), { errno });
  }
  return p;
}

export interface RingWatchOptions {
  /** Poll the ring every N ms instead of waiting on its fd (epoll). */
  intervalMs?: number;
}

/** One BPF_MAP_TYPE_RINGBUF map, mapped into this process. */
export class BpfRingBuffer {
  readonly reader: RingReader;
  #maps: [bigint, number][];
  #poll: { close(): void } | null = null;
  #timer: NodeJS.Timeout | null = null;

  private constructor(reader: RingReader, maps: [bigint, number][], readonly fd: number) {
    this.reader = reader;
    this.#maps = maps;
  }

  /** @param dataSize the map's max_entries (bytes of data, a power of 2) */
  static open(fd: number, dataSize: number): BpfRingBuffer {
    const page = getpagesize();
    const cons = mapOrThrow(page, PROT_READ | PROT_WRITE, fd, 0);
    let prod: bigint;
    try {
      prod = mapOrThrow(page + 2 * dataSize, PROT_READ, fd, page);
    } catch (e) {
      munmap(cons, page);
      throw e;
    }
    const reader = new RingReader(koffi.view(cons, page), koffi.view(prod, page + 2 * dataSize), page, dataSize);
    return new BpfRingBuffer(reader, [[cons, page], [prod, page + 2 * dataSize]], fd);
  }

  /**
   * Call @onReady whenever the ring may have data. The callback runs on the
   * event loop and should drain; with fd polling it fires again as long as
   * data is left (level-triggered).
   */
  watch(onReady: () => void, opts: RingWatchOptions = {}): void {
    this.unwatch();
    if (opts.intervalMs !== undefined) {
      this.#timer = setInterval(onReady, opts.intervalMs);
      return;
    }
    this.#poll = koffi.node.poll(this.fd, { readable: true }, () => onReady());
  }

  unwatch(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#poll?.close();
    this.#poll = null;
  }

  /** Unmap; the reader must not be used afterwards. Idempotent. */
  close(): void {
    this.unwatch();
    for (const [p, len] of this.#maps.splice(0)) munmap(p, len);
  }
}
