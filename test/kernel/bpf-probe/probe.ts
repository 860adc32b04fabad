/**
 * gdl-bpf-probe: attach the kernel event pipeline, run a command, and
 * report what came through. A diagnostic for operators ("do events flow on
 * this node?") and the driver of the in-guest tests and benchmarks
 * (test/kernel/cases/7*-bpf-*.sh, bench/kernel/cases/2*-bpf*.sh).
 *
 *   tsx agent/src/native/bpf-probe.ts [options] -- COMMAND [ARGS...]
 *     --ring-size BYTES      ring size (power of 2)
 *     --sample-every N       keep 1 in N allowed DMA checks
 *     --filter-agent ID      only this agent's decisions
 *     --filter-cgroup ID     only callers in this cgroup v2 id
 *     --programs a,b         only these tracepoint programs
 *     --cuda-lib PATH        also probe this libcuda (or stand-in)
 *     --poll-ms N            wake every N ms instead of epoll on the ring
 *                            (a huge N: consume only at the end)
 *     --lines FILE           every event as a text line (see formatEventLine)
 *     --count-only           keep no events: throughput runs
 *     --warmup N             first decode N synthetic records (JIT warm-up)
 *     --json FILE            the report (default: stdout)
 *
 * The command inherits stdin/stdout/stderr; it starts after everything is
 * attached, and the pipeline is drained and detached after it exits.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KernelEventSource, type KernelEventSourceOptions } from '../events/kernel-source.ts';
import type { GdlEvent } from '../events/types.ts';
import { CudaLeakTracker } from './bpf-cuda-leaks.ts';
import { formatEventLine } from './bpf-event-line.ts';
import { warmUpDecoder } from './bpf-warmup.ts';

function runCommand(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<number> {
  const { values: v, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'ring-size': { type: 'string' },
      'sample-every': { type: 'string' },
      'filter-agent': { type: 'string' },
      'filter-cgroup': { type: 'string' },
      programs: { type: 'string' },
      'cuda-lib': { type: 'string' },
      'poll-ms': { type: 'string' },
      lines: { type: 'string' },
      'count-only': { type: 'boolean' },
      warmup: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (!positionals.length) {
    process.stderr.write('usage: bpf-probe.ts [options] -- COMMAND [ARGS...]\n');
    return 2;
  }
  const opts: KernelEventSourceOptions = {};
  if (v['ring-size']) opts.ringSize = Number(v['ring-size']);
  if (v['sample-every']) opts.sampleEvery = Number(v['sample-every']);
  if (v['filter-agent']) opts.filterAgent = BigInt(v['filter-agent']);
  if (v['filter-cgroup']) opts.filterCgroup = BigInt(v['filter-cgroup']);
  if (v.programs) opts.programs = v.programs.split(',');
  if (v['cuda-lib']) opts.cudaLibrary = v['cuda-lib'];
  if (v['poll-ms']) opts.pollIntervalMs = Number(v['poll-ms']);

  const keep = !v['count-only'];
  const events: GdlEvent[] = [];
  const byType: Record<string, number> = {};
  const leaks = new CudaLeakTracker();
  let batches = 0;
  let received = 0;
  let decodeNs = 0n;
  const src = new KernelEventSource(opts);
  const onBatch = (batch: GdlEvent[]): void => {
    batches++;
    received += batch.length;
    const t0 = process.hrtime.bigint();
    for (const ev of batch) {
      const k = ev.type === 'decision' ? ev.kind : ev.op;
      byType[k] = (byType[k] ?? 0) + 1;
    }
    leaks.observe(batch);
    if (keep) for (const ev of batch) events.push(ev);
    decodeNs += process.hrtime.bigint() - t0;
  };
  let warmupMs = 0;
  if (v.warmup) {
    const w0 = process.hrtime.bigint();
    // the same handler, minus what it would keep: warm, not counted
    warmUpDecoder(Number(v.warmup), (b) => leaks.observe(b));
    warmupMs = Number(process.hrtime.bigint() - w0) / 1e6;
  }
  src.start(onBatch);
  if (src.cudaProbesSkipped.length) process.stderr.write(`bpf-probe: not in the library, not probed: ${src.cudaProbesSkipped.join(' ')}\n`);

  const t0 = process.hrtime.bigint();
  const exitCode = await runCommand(positionals);
  const tRun = process.hrtime.bigint();
  // delivered by the ring watcher while the command ran (not by stop())
  const receivedLive = received;
  // Whatever is still in the ring (everything, with a huge --poll-ms): a
  // timed drain is the consumer's throughput, apart from the producer's.
  const drained = src.drain();
  const tDrain = process.hrtime.bigint();
  await src.stop();
  const tEnd = process.hrtime.bigint();

  // Ring order is reservation order; per CPU it must follow time.
  const lastTs = new Map<number, bigint>();
  const cgroupIds = [...new Set(events.map((e) => e.cgroupId.toString()))];
  let perCpuOrdered = true;
  for (const ev of events) {
    if ((lastTs.get(ev.cpu) ?? 0n) > ev.tsNs) perCpuOrdered = false;
    lastTs.set(ev.cpu, ev.tsNs);
  }
  if (v.lines) {
    const sorted = [...events].sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
    writeFileSync(v.lines, sorted.map((e) => formatEventLine(e) + '\n').join(''));
  }

  const s = src.stats();
  const c = src.counters();
  const report = {
    exitCode,
    received: s.received,
    lost: Number(c.lost),
    unknown: s.unknown,
    short: s.short,
    seen: Number(c.seen),
    sampledOut: Number(c.sampledOut),
    filtered: Number(c.filtered),
    batches,
    receivedLive,
    byType,
    perCpuOrdered,
    cpus: [...lastTs.keys()].sort(),
    cgroupIds,
    leaks: leaks.leaks().map((p) => ({
      tgid: p.tgid, comm: p.comm, count: p.count, bytes: p.bytes.toString(),
      ptrs: [...p.live.keys()].map((k) => `0x${k.toString(16)}`),
    })),
    unknownFrees: leaks.unknownFrees,
    warmupMs,
    runMs: Number(tRun - t0) / 1e6,
    finalDrained: drained,
    // command start to last event decoded: the whole pipeline's rate
    pipelineMs: Number(tDrain - t0) / 1e6,
    pipelineEventsPerS: Math.round(s.received / (Number(tDrain - t0) / 1e9)),
    finalDrainMs: Number(tDrain - tRun) / 1e6,
    stopMs: Number(tEnd - tDrain) / 1e6,
    handlerMs: Number(decodeNs) / 1e6,
  };
  const json = JSON.stringify(report, null, 1);
  if (v.json) writeFileSync(v.json, json + '\n');
  else process.stdout.write(json + '\n');
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bpf-probe: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
