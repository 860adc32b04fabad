/** bpf-probe's command line (see probe.ts for the options). */
import { parseArgs } from 'node:util';
import { type KernelEventSourceOptions, moduleObject } from '../../../agent/src/events/kernel-source.ts';

export interface ProbeOptions {
  source: KernelEventSourceOptions;
  /** keep every event (for --lines and the per-CPU order check); false with --count-only */
  keep: boolean;
  linesFile: string | undefined;
  jsonFile: string | undefined;
  /** synthetic records to decode before attaching (0: none) */
  warmup: number;
  /** the command to run while attached */
  command: string[];
}

/** The parsed options, or null when there is no command to run. */
export function parseProbeArgs(argv: string[]): ProbeOptions | null {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'ring-size': { type: 'string' },
      'sample-every': { type: 'string' },
      'filter-agent': { type: 'string' },
      'filter-cgroup': { type: 'string' },
      programs: { type: 'string' },
      'raw-tp': { type: 'boolean' },
      object: { type: 'string' },
      'cuda-lib': { type: 'string' },
      'poll-ms': { type: 'string' },
      lines: { type: 'string' },
      'count-only': { type: 'boolean' },
      warmup: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (!positionals.length) return null;
  const source: KernelEventSourceOptions = {};
  if (v['ring-size']) source.ringSize = Number(v['ring-size']);
  if (v['sample-every']) source.sampleEvery = Number(v['sample-every']);
  if (v['filter-agent']) source.filterAgent = BigInt(v['filter-agent']);
  if (v['filter-cgroup']) source.filterCgroup = BigInt(v['filter-cgroup']);
  if (v.programs) source.programs = v.programs.split(',');
  if (v['raw-tp']) source.moduleObject = moduleObject(false);
  if (v.object) source.moduleObject = v.object;
  if (v['cuda-lib']) source.cudaLibrary = v['cuda-lib'];
  if (v['poll-ms']) source.pollIntervalMs = Number(v['poll-ms']);
  return {
    source,
    keep: !v['count-only'],
    linesFile: v.lines,
    jsonFile: v.json,
    warmup: v.warmup ? Number(v.warmup) : 0,
    command: positionals,
  };
}
