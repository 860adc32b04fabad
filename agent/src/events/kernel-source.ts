/**
 * KernelEventSource: the kernel backend's EventSource. Loads the module's
 * decisions' object and, given a CUDA driver library, bpf/gdl_cuda.bpf.o
 * (uprobes on its allocation calls), both writing into ONE ring buffer and
 * one set of per-CPU counters, and streams decoded events in batches.
 *
 * Which decisions' object (moduleObjects()): bpf/gdl_batch.bpf.o, the
 * module's per-CPU batches of every decision (a fraction of the cost per
 * decision), unless a filter, a list of programs or sampling in BPF asks
 * for bpf/gdl_module.bpf.o, one program per decision kind.  Each has a
 * raw_tp twin (*_raw.bpf.o) for a module without BTF; an object the kernel
 * refuses (an older module, kfuncs not registered) gives way to the next.
 *
 * Accounting: every event a program was called for is counted once in the
 * kernel as seen, and ends up exactly once as received (here), lost (ring
 * full), sampled_out or filtered: see counters().
 *
 * Sampling of allowed checks happens in the module when it can (its
 * trace_check_every parameter, node-wide): a skipped check then never
 * reaches BPF, and the module counts it (checks_untraced in its stats),
 * which counters() adds to seen and sampled_out, whoever set the parameter.
 * The BPF program samples instead on older modules, with a filter (the
 * module would sample before filtering), or without the right to write it.
 */
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BpfError,
  BpfObject,
  readPercpuCounters,
  setLibbpfLogger,
  type LibbpfLogger,
} from '../native/libbpf.ts';
import { Errno } from '../backends/errors.ts';
import { BpfRingBuffer } from '../native/ringbuf.ts';
import { EVENT_CONSTANTS as C } from '../native/event-layouts.ts';
import { newEventSourceStats } from './decode.ts';
import type { EventSource, EventSourceStats, GdlEvent } from './types.ts';

/**
 * The CUDA driver entry points gdl_cuda.bpf.c probes: its entry programs,
 * one per GDL_CUDA_PROBE line of cuda/gdl_cuda_ops.h, each named after the
 * function it observes, so the object is the list (none is kept here).
 */
export function cudaProbes(cuda: BpfObject): string[] {
  return cuda.programs().filter((p) => p.section === 'uprobe').map((p) => p.name);
}
/** libbpf's answer when the library has no such symbol. */
const { ENOENT } = Errno;
const CUDA_RETURN_PROGRAM = 'cu_ret';
const MODULE_SYSFS = '/sys/module/gpu_dma_lock';
const CHECK_EVERY = `${MODULE_SYSFS}/parameters/trace_check_every`;
const PROC_DIR = '/proc/swarm/gpu';

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** One counter of the module's stats listing ("name value" lines). */
export function statsValue(text: string, name: string): bigint {
  const value = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`no ${name} line in the module's stats`);
  return BigInt(value);
}

export interface KernelEventSourceOptions {
  /** Directory of the built BPF objects (default: <repo>/build/bpf). */
  bpfDir?: string;
  /** The decisions' object in bpfDir (default: moduleObject(), by the module's BTF). */
  moduleObject?: string;
  /** Ring size in bytes: a power of 2, at least a page (default 256 KiB; below BATCH_RING_MIN, no batches). */
  ringSize?: number;
  /** Keep 1 in N allowed DMA checks (default 1: all). Nothing else is sampled. */
  sampleEvery?: number;
  /** The module's /proc directory (default /proc/swarm/gpu): its stats count what it sampled out. */
  procDir?: string;
  /** Only decisions about this agent (default: all). */
  filterAgent?: bigint;
  /** Only events from callers in this cgroup v2 id (default: all). */
  filterCgroup?: bigint;
  /** Attach only these tracepoint programs (default: all eight), e.g. ['gdl_deny']. */
  programs?: readonly string[];
  /** A libcuda (or stand-in) to probe with uprobes; none: module events only. */
  cudaLibrary?: string;
  /** Wake up every N ms instead of waiting on the ring's fd. */
  pollIntervalMs?: number;
  /** Events per onBatch call: at most this, plus one module batch's (default 4096). */
  batchMax?: number;
  /** libbpf's messages (default: dropped below warn, warnings to stderr). */
  logger?: LibbpfLogger;
}

/** The kernel-side counters, summed over CPUs. */
export interface KernelCounters {
  seen: bigint;
  lost: bigint;
  sampledOut: bigint;
  filtered: bigint;
}

function defaultBpfDir(): string {
  const env = process.env.GDL_BUILD;
  if (env) return resolve(env, 'bpf');
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../build/bpf');
}

/** gdl_common.bpf.h's ring size, unless ringSize says otherwise. */
const DEFAULT_RING = 256 << 10;
/**
 * The smallest ring batches go to: four full ones (a full batch is one
 * record of about 15 KiB). In a smaller ring one consumer wake-up late
 * loses a whole batch: the per-decision records go there instead.
 */
export const BATCH_RING_MIN = 64 << 10;

/** The module's BTF, which tp_btf programs are typed by (absent if built without BTF, e.g. DKMS). */
const MODULE_BTF = '/sys/kernel/btf/gpu_dma_lock';

/**
 * gdl_module.bpf.o (tp_btf: checked against the module's BTF at load) where
 * the module has BTF, else gdl_module_raw.bpf.o (the same programs as
 * raw_tp, reading the same arguments): bpf/gdl_module.bpf.c.
 */
export function moduleObject(hasBtf = existsSync(MODULE_BTF)): string {
  return hasBtf ? 'gdl_module.bpf.o' : 'gdl_module_raw.bpf.o';
}

/**
 * The objects to try, in order, for the module's decisions: the batches'
 * (tp_btf with the module's kfunc, then raw_tp), then the per-decision
 * programs, which every module since the first has; or only those.
 */
export function moduleObjects(batched: boolean, hasBtf = existsSync(MODULE_BTF)): string[] {
  if (!batched) return [moduleObject(hasBtf)];
  return [...(hasBtf ? ['gdl_batch.bpf.o'] : []), 'gdl_batch_raw.bpf.o', moduleObject(hasBtf)];
}

function defaultLogger(): LibbpfLogger {
  return (r) => {
    if (r.level === 'warn') process.stderr.write(`${r.message}\n`);
  };
}

export class KernelEventSource implements EventSource {
  readonly #opts: KernelEventSourceOptions;
  readonly #stats: EventSourceStats = newEventSourceStats();
  #module: BpfObject | null = null;
  #cuda: BpfObject | null = null;
  #ring: BpfRingBuffer | null = null;
  #countersFd = -1;
  #onBatch: ((events: GdlEvent[]) => void) | null = null;
  /** Last kernel counters read, kept for stats() after stop(). */
  #last: KernelCounters = { seen: 0n, lost: 0n, sampledOut: 0n, filtered: 0n };
  /** The module's checks_untraced at start; null: it cannot sample. */
  #untracedAtStart: bigint | null = null;
  /** Its checks_untraced since start, as last read. */
  #skipped = 0n;
  /** trace_check_every as it was before start() set it; null: untouched. */
  #everyBefore: string | null = null;

  constructor(opts: KernelEventSourceOptions = {}) {
    this.#opts = opts;
  }

  /**
   * Open, configure, load and attach; then deliver batches to @onBatch as
   * the ring fills. Throws a BpfError (nothing left loaded) on failure.
   */
  start(onBatch: (events: GdlEvent[]) => void): void {
    if (this.#module) throw new Error('KernelEventSource already started');
    // The programs attach to the module's tracepoints: without the module
    // there is nothing to observe, and nothing should be loaded at all.
    if (!existsSync(MODULE_SYSFS)) throw new Error(`${MODULE_SYSFS} not found: gpu_dma_lock is not loaded`);
    const o = this.#opts;
    const dir = o.bpfDir ?? defaultBpfDir();
    setLibbpfLogger(o.logger ?? defaultLogger());
    try {
      const every = o.sampleEvery ?? 1;
      const filtered = (o.filterAgent ?? 0n) !== 0n || (o.filterCgroup ?? 0n) !== 0n;
      const inModule = every > 1 && !filtered && writable(CHECK_EVERY);
      // Every decision, sampled (if at all) by the module: its batches,
      // where the ring holds a few full ones.
      const batched = !filtered && !o.programs && (every <= 1 || inModule) && (o.ringSize ?? DEFAULT_RING) >= BATCH_RING_MIN;
      if (o.moduleObject && basename(o.moduleObject).startsWith('gdl_batch') && !batched) {
        throw new Error(`${o.moduleObject} takes every decision: no filter, program list, BPF-side sampling or ring under ${BATCH_RING_MIN} bytes`);
      }
      const mod = (this.#module = this.#loadModuleObject(dir, o.moduleObject ? [o.moduleObject] : moduleObjects(batched), {
        sample_every: inModule ? 1 : every,
        filter_agent: o.filterAgent ?? 0n,
        filter_cgroup: o.filterCgroup ?? 0n,
      }));
      const events = mod.map('events');
      if (existsSync(CHECK_EVERY)) {
        this.#untracedAtStart = this.#untraced();
        this.#skipped = 0n;
      }
      if (inModule) {
        this.#everyBefore = readFileSync(CHECK_EVERY, 'utf8').trim();
        writeFileSync(CHECK_EVERY, `${every}\n`);
      }

      const ringFd = events.fd();
      this.#countersFd = mod.map('counters').fd();
      if (o.cudaLibrary) this.#attachCuda(resolve(dir, 'gdl_cuda.bpf.o'), o.cudaLibrary, ringFd);

      this.#ring = BpfRingBuffer.open(ringFd, events.maxEntries);
    } catch (e) {
      this.#restoreSampling();
      this.#teardown();
      throw e;
    }
    this.#onBatch = onBatch;
    const opts = o.pollIntervalMs !== undefined ? { intervalMs: o.pollIntervalMs } : {};
    this.#ring.watch(() => this.drain(), opts);
  }

  /**
   * The first of @names (in @dir) the kernel takes: opened, configured
   * (@rodata, where the object has those knobs: the batches' has none),
   * loaded and attached. A refused one is closed and reported through
   * libbpf's logger; if all are, the first one's error is thrown.
   */
  #loadModuleObject(dir: string, names: readonly string[], rodata: Record<string, bigint | number>): BpfObject {
    const o = this.#opts;
    let first: unknown;
    for (const name of names) {
      let mod: BpfObject | null = null;
      try {
        mod = BpfObject.open(resolve(dir, name));
        if (basename(name).startsWith('gdl_module')) mod.setRodata(rodata);
        if (o.ringSize !== undefined) mod.map('events').setMaxEntries(o.ringSize);
        if (o.programs) mod.setAutoload(o.programs);
        mod.load();
        mod.attach(o.programs);
        this.moduleObjectLoaded = name;
        return mod;
      } catch (e) {
        mod?.close();
        first ??= e;
        if (name !== names[names.length - 1]) {
          (o.logger ?? defaultLogger())({ level: 'warn', message: `events: ${name} refused (${(e as Error).message}); trying the next object` });
        }
      }
    }
    throw first;
  }

  /** Which object carries the module's decisions (moduleObjects()), once started. */
  moduleObjectLoaded = '';

  /** The CUDA object shares the module object's ring and counters. */
  #attachCuda(objPath: string, library: string, ringFd: number): void {
    if (!existsSync(library)) throw new Error(`CUDA library ${library} not found`);
    const cuda = (this.#cuda = BpfObject.open(objPath));
    cuda.setRodata({ filter_cgroup: this.#opts.filterCgroup ?? 0n });
    cuda.map('events').reuseFd(ringFd);
    cuda.map('counters').reuseFd(this.#countersFd);
    cuda.load();
    const skipped: string[] = [];
    const probes = cudaProbes(cuda);
    for (const func of probes) {
      // An older driver lacks some entry points (_ptsz, pools): that probe
      // is skipped, the rest still observe. Any other failure is fatal.
      try {
        cuda.attachUprobe(func, { binaryPath: library, funcName: func });
      } catch (e) {
        if (!(e instanceof BpfError && e.errno === ENOENT)) throw e;
        skipped.push(func);
        continue;
      }
      cuda.attachUprobe(CUDA_RETURN_PROGRAM, { binaryPath: library, funcName: func, retprobe: true });
    }
    if (skipped.length === probes.length) throw new Error(`${library}: none of the CUDA memory functions found`);
    this.cudaProbesSkipped = skipped;
  }

  /** CUDA functions the library did not export, so were not probed. */
  cudaProbesSkipped: readonly string[] = [];

  /**
   * Decode everything in the ring now and hand it to onBatch in batches of
   * about batchMax (the last ring record read may be a module batch of up
   * to GDL_BATCH_EVENTS). Returns the number of events delivered. Called by the
   * ring watcher; callable directly (tests, a final flush).
   */
  drain(): number {
    const ring = this.#ring;
    if (!ring || !this.#onBatch) return 0;
    const max = this.#opts.batchMax ?? 4096;
    let delivered = 0;
    for (;;) {
      const batch: GdlEvent[] = [];
      ring.reader.drain(batch, this.#stats, max);
      if (batch.length) {
        delivered += batch.length;
        this.#onBatch(batch);
      }
      // Short of max: the ring is empty (or its next record not committed).
      if (batch.length < max) return delivered;
    }
  }

  /** Kernel-side accounting, summed over CPUs (and the module's own sampling). */
  counters(): KernelCounters {
    if (this.#countersFd >= 0) {
      const v = readPercpuCounters(this.#countersFd, C.GDL_CTR_MAX);
      const skipped = this.#readSkipped();
      this.#last = {
        lost: v[C.GDL_CTR_LOST] ?? 0n,
        sampledOut: (v[C.GDL_CTR_SAMPLED_OUT] ?? 0n) + skipped,
        filtered: v[C.GDL_CTR_FILTERED] ?? 0n,
        seen: (v[C.GDL_CTR_SEEN] ?? 0n) + skipped,
      };
    }
    return { ...this.#last };
  }

  /** The module's skips since start; the last value read if it is gone (unloaded). */
  #readSkipped(): bigint {
    if (this.#untracedAtStart === null) return 0n;
    try {
      this.#skipped = this.#untraced() - this.#untracedAtStart;
    } catch {
      // keep the last difference
    }
    return this.#skipped;
  }

  #untraced(): bigint {
    return statsValue(readFileSync(resolve(this.#opts.procDir ?? PROC_DIR, 'stats'), 'utf8'), 'checks_untraced');
  }

  stats(): EventSourceStats {
    this.#stats.lost = Number(this.counters().lost);
    return { ...this.#stats };
  }

  /**
   * Detach every program first (no new events), deliver what is left in
   * the ring, read the final counters, then unmap and close everything.
   */
  async stop(): Promise<void> {
    try {
      for (const obj of [this.#cuda, this.#module]) for (const l of obj?.links ?? []) l.destroy();
      this.drain();
      this.stats();
    } finally {
      this.#restoreSampling();
      this.#teardown();
    }
  }

  /** trace_check_every back to what start() found there. */
  #restoreSampling(): void {
    this.#untracedAtStart = null;
    if (this.#everyBefore === null) return;
    const before = this.#everyBefore;
    this.#everyBefore = null;
    try {
      writeFileSync(CHECK_EVERY, `${before}\n`);
    } catch {
      // The module was unloaded meanwhile: nothing left to put back.
    }
  }

  #teardown(): void {
    this.#ring?.close();
    this.#ring = null;
    this.#onBatch = null;
    this.#countersFd = -1;
    // The CUDA object holds references to the shared maps: close it first.
    this.#cuda?.close();
    this.#cuda = null;
    this.#module?.close();
    this.#module = null;
  }
}

/**
 * What the agent's backend selection calls (agent/src/backends/select.ts).
 * Fails early, before start(), when the BPF objects are not built; loading
 * and attaching happen in start(), which throws a BpfError if the kernel
 * refuses (no privileges, no module tracepoints, no BTF).
 */
export function createKernelEventSource(opts: KernelEventSourceOptions = {}): KernelEventSource {
  const obj = resolve(opts.bpfDir ?? defaultBpfDir(), 'gdl_module.bpf.o');
  if (!existsSync(obj)) throw new Error(`${obj} not built (make all)`);
  return new KernelEventSource(opts);
}
