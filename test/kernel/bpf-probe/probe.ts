/**
 * bpf-probe: attach the kernel event pipeline, run a command, and report
 * what came through. The driver of the in-guest tests and benchmarks
 * (test/kernel/cases/7*-bpf-*.sh, bench/kernel/cases/2*-bpf*.sh, through
 * test/kernel/bpf-lib.sh), and a diagnostic an operator can run from a
 * checkout ("do events flow on this node?").
 *
 *   tsx test/kernel/bpf-probe/probe.ts [options] -- COMMAND [ARGS...]
 *     --ring-size BYTES      ring size (power of 2)
 *     --sample-every N       keep 1 in N allowed DMA checks (the module samples)
 *     --filter-agent ID      only this agent's decisions
 *     --filter-cgroup ID     only callers in this cgroup v2 id
 *     --programs a,b         only these tracepoint programs
 *     --raw-tp               the per-decision raw_tp object (gdl_module_raw.bpf.o)
 *     --object NAME          this decisions' object of build/bpf (default: the
 *                            agent's choice, kernel-source.ts moduleObjects())
 *     --cuda-lib PATH        also probe this libcuda (or stand-in)
 *     --poll-ms N            wake every N ms instead of epoll on the ring
 *                            (a huge N: consume only at the end)
 *     --lines FILE           every event as a text line (see event-line.ts)
 *     --count-only           keep no events: throughput runs
 *     --warmup N             first decode N synthetic records (JIT warm-up)
 *     --json FILE            the report (default: stdout)
 *
 * The command inherits stdin/stdout/stderr; it starts after everything is
 * attached, and the pipeline is drained and detached after it exits.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { KernelEventSource } from '../../../agent/src/events/kernel-source.ts';
import { Collector } from './collector.ts';
import { formatEventLine } from './event-line.ts';
import { parseProbeArgs, type ProbeOptions } from './options.ts';
import { warmUpDecoder } from './warmup.ts';

function runCommand(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const msSince = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

/** Decodes @records synthetic records through the same handler, minus what it keeps: warm, not counted. */
function warmUp(records: number, into: Collector): number {
  if (!records) return 0;
  const t0 = process.hrtime.bigint();
  warmUpDecoder(records, (b) => into.leaks.observe(b));
  return msSince(t0, process.hrtime.bigint());
}

interface RunTimes {
  exitCode: number;
  /** events the ring watcher delivered while the command ran (not by the final drain) */
  receivedLive: number;
  finalDrained: number;
  start: bigint;
  ran: bigint;
  drained: bigint;
  stopped: bigint;
}

/** Attach, run the command, drain what is left, detach. */
async function runAttached(src: KernelEventSource, collector: Collector, command: string[]): Promise<RunTimes> {
  src.start(collector.onBatch);
  if (src.cudaProbesSkipped.length) process.stderr.write(`bpf-probe: not in the library, not probed: ${src.cudaProbesSkipped.join(' ')}\n`);
  const start = process.hrtime.bigint();
  const exitCode = await runCommand(command);
  const ran = process.hrtime.bigint();
  const receivedLive = collector.received;
  // Whatever is still in the ring (everything, with a huge --poll-ms): a
  // timed drain is the consumer's throughput, apart from the producer's.
  const finalDrained = src.drain();
  const drained = process.hrtime.bigint();
  await src.stop();
  return { exitCode, receivedLive, finalDrained, start, ran, drained, stopped: process.hrtime.bigint() };
}

function report(src: KernelEventSource, c: Collector, t: RunTimes, warmupMs: number) {
  const s = src.stats();
  const k = src.counters();
  const order = c.perCpuOrder();
  const pipelineMs = msSince(t.start, t.drained);
  return {
    object: src.moduleObjectLoaded,
    exitCode: t.exitCode,
    received: s.received,
    lost: Number(k.lost),
    unknown: s.unknown,
    short: s.short,
    seen: Number(k.seen),
    sampledOut: Number(k.sampledOut),
    filtered: Number(k.filtered),
    batches: c.batches,
    receivedLive: t.receivedLive,
    byType: c.byType,
    perCpuOrdered: order.ordered,
    cpus: order.cpus,
    cgroupIds: c.cgroupIds(),
    leaks: c.leakReport(),
    unknownFrees: c.leaks.unknownFrees,
    warmupMs,
    runMs: msSince(t.start, t.ran),
    finalDrained: t.finalDrained,
    // command start to last event decoded: the whole pipeline's rate
    pipelineMs,
    pipelineEventsPerS: Math.round(s.received / (pipelineMs / 1e3)),
    finalDrainMs: msSince(t.ran, t.drained),
    stopMs: msSince(t.drained, t.stopped),
    handlerMs: Number(c.handlerNs) / 1e6,
  };
}

async function probe(o: ProbeOptions): Promise<number> {
  const collector = new Collector(o.keep);
  const warmupMs = warmUp(o.warmup, collector);
  const src = new KernelEventSource(o.source);
  const times = await runAttached(src, collector, o.command);
  if (o.linesFile) writeFileSync(o.linesFile, collector.byTime().map((e) => formatEventLine(e) + '\n').join(''));
  const json = JSON.stringify(report(src, collector, times, warmupMs), null, 1) + '\n';
  if (o.jsonFile) writeFileSync(o.jsonFile, json);
  else process.stdout.write(json);
  return times.exitCode;
}

async function main(): Promise<number> {
  const opts = parseProbeArgs(process.argv.slice(2));
  if (!opts) {
    process.stderr.write('usage: probe.ts [options] -- COMMAND [ARGS...]\n');
    return 2;
  }
  return probe(opts);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bpf-probe: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
